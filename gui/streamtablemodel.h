#pragma once

#include "statstablemodel.h"

// server.h uses QHostAddress without including it.
#include <QHostAddress>

#include "server/server.h"

#include <QElapsedTimer>
#include <QPointer>

namespace halhub {

class ClientTableModel;

// The Streams dock: one row per stream (detached sessions' included),
// polled from Server::streamStats() by refresh(). The achieved rate is the
// growth of framesSent over the last two seconds of refreshes: frames leave
// in bursts when a socket was busy, and one poll interval would show them.
class StreamTableModel final : public StatsTableModel
{
    Q_OBJECT
public:
    enum Column {
        StreamColumn,
        OwnerColumn,
        DeviceColumn,
        ModeColumn,
        RequestedColumn,
        AchievedColumn,
        SentColumn,
        DroppedColumn,
        P50Column,
        P95Column,
        ColumnCount
    };
    enum Role { StreamIdRole = Qt::UserRole + 1, AchievedRateRole, RawValueRole };

    explicit StreamTableModel(Server *server, QObject *parent = nullptr);

    // Names owners by their connection instead of the opaque session id.
    void setClientModel(const ClientTableModel *clients);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    const StreamStats *stream(int row) const;
    // Frames per second actually sent; negative until two refreshes saw it.
    double achievedRate(int row) const;

public Q_SLOTS:
    void refresh();

Q_SIGNALS:
    // Seen by a refresh: a new stream, a stream gone, frames dropped since
    // the previous refresh.
    void streamOpened(const halhub::StreamStats &stream);
    void streamClosed(const halhub::StreamStats &stream);
    void framesDropped(const halhub::StreamStats &stream, quint64 dropped);

private:
    struct Row
    {
        StreamStats stats;
        double achievedHz = -1;
        // (refresh time, framesSent) of the refreshes within the rate window.
        QList<QPair<qint64, quint64>> history;
        QString owner;
    };

    QPointer<Server> m_server;
    QPointer<const ClientTableModel> m_clients;
    QList<Row> m_rows;
    QElapsedTimer m_clock;
};

} // namespace halhub

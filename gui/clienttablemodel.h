#pragma once

#include "statstablemodel.h"

// server.h uses QHostAddress without including it.
#include <QHostAddress>

#include "server/server.h"

#include <QPointer>

namespace halhub {

// The Clients dock: one row per open connection, polled from
// Server::clientStats() by refresh() (the window calls it a few times a
// second; nothing here runs per message).
class ClientTableModel final : public StatsTableModel
{
    Q_OBJECT
public:
    enum Column {
        AddressColumn,
        UserColumn,
        ClientColumn,
        ConnectedColumn,
        EncodingColumn,
        MessagesInColumn,
        MessagesOutColumn,
        UnsentColumn,
        RateLimitColumn,
        StreamsColumn,
        ColumnCount
    };
    enum Role { IdRole = Qt::UserRole + 1, SessionRole };

    explicit ClientTableModel(Server *server, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    quint64 clientId(int row) const;
    const ClientStats *client(int row) const;
    // Who owns a session, for the Streams table: the hello's `client` name
    // (else the address), with the user when there is one; empty if none.
    QString describeSession(const QString &session) const;

public Q_SLOTS:
    void refresh();

private:
    QPointer<Server> m_server;
    QList<ClientStats> m_rows;
};

} // namespace halhub

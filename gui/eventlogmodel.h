#pragma once

#include <QAbstractTableModel>
#include <QTimer>
#include <QVariantMap>

namespace halhub {

// The Events dock: device and stream events, client arrivals and the GUI's
// own command results. New entries wait in a batch that is added at most
// four times a second, so a burst of events costs one model update. The log
// keeps the newest maxEntries() entries.
class EventLogModel final : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { TimeColumn, SeverityColumn, SourceColumn, EventColumn, DetailsColumn, ColumnCount };
    enum class Severity { Info, Warning, Error };
    enum Role { SeverityRole = Qt::UserRole + 1, EventNameRole, TimestampRole };
    enum class Format { Csv, JsonLines };

    struct Entry
    {
        qint64 timestampUs = 0;     // wall clock, as on the wire
        Severity severity = Severity::Info;
        QString event;              // wire name, e.g. device_connected
        QString device;
        QString stream;
        QString client;
        QString details;            // human-readable
        QVariantMap data;
    };

    explicit EventLogModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // A broadcast `event` message: {type, event, ts, device?, stream?, data?}.
    void addBroadcast(const QVariantMap &event);
    void addEntry(Entry entry);
    // Adds what waits in the batch now (also done by the batch timer).
    void flush();
    void clear();

    const Entry *entry(int row) const;
    int maxEntries() const { return m_maxEntries; }
    void setMaxEntries(int max);

    static Severity severityOf(const QString &event, const QVariantMap &data = {});
    static QString severityText(Severity severity);
    static QColor severityColor(Severity severity);
    QString eventText(const Entry &entry) const;

    // Writes rows (all when empty) to a file; the format follows the file's
    // suffix (.csv, anything else JSON lines) unless given.
    bool exportTo(const QString &fileName, QString *error, const QList<int> &rows = {}) const;
    bool exportTo(const QString &fileName, Format format, QString *error,
                  const QList<int> &rows = {}) const;

private:
    QString detailsOf(const QString &event, const QVariantMap &data) const;
    void trim();

    QList<Entry> m_entries;
    QList<Entry> m_pending;
    QTimer m_batchTimer;
    int m_maxEntries = 5000;
};

} // namespace halhub

#include "eventlogmodel.h"

#include <QBrush>
#include <QColor>
#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

namespace halhub {

namespace {

constexpr int kBatchIntervalMs = 250;

QDateTime toDateTime(qint64 us)
{
    return QDateTime::fromMSecsSinceEpoch(us / 1000);
}

QString csvField(const QString &value)
{
    if (!value.contains(QLatin1Char(',')) && !value.contains(QLatin1Char('"'))
        && !value.contains(QLatin1Char('\n')) && !value.contains(QLatin1Char('\r')))
        return value;
    QString quoted = value;
    quoted.replace(QLatin1Char('"'), QLatin1String("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

QString severityKey(EventLogModel::Severity severity)
{
    switch (severity) {
    case EventLogModel::Severity::Info:
        return QStringLiteral("info");
    case EventLogModel::Severity::Warning:
        return QStringLiteral("warning");
    case EventLogModel::Severity::Error:
        return QStringLiteral("error");
    }
    return {};
}

} // namespace

EventLogModel::EventLogModel(QObject *parent) : QAbstractTableModel(parent)
{
    m_batchTimer.setSingleShot(true);
    m_batchTimer.setInterval(kBatchIntervalMs);
    connect(&m_batchTimer, &QTimer::timeout, this, &EventLogModel::flush);
}

int EventLogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

int EventLogModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

EventLogModel::Severity EventLogModel::severityOf(const QString &event, const QVariantMap &data)
{
    Q_UNUSED(data);
    if (event == QLatin1String("device_error") || event == QLatin1String("command_failed"))
        return Severity::Error;
    if (event == QLatin1String("device_disconnected") || event == QLatin1String("device_removed")
        || event == QLatin1String("stream_overflow") || event == QLatin1String("stream_closed")
        || event == QLatin1String("server_shutdown"))
        return Severity::Warning;
    return Severity::Info;
}

QString EventLogModel::severityText(Severity severity)
{
    switch (severity) {
    case Severity::Info:
        return tr("Info");
    case Severity::Warning:
        return tr("Warning");
    case Severity::Error:
        return tr("Error");
    }
    return {};
}

QColor EventLogModel::severityColor(Severity severity)
{
    switch (severity) {
    case Severity::Info:
        return QColor(0x2f, 0x6f, 0xb5);
    case Severity::Warning:
        return QColor(0xc0, 0x72, 0x00);
    case Severity::Error:
        return QColor(0xc0, 0x22, 0x22);
    }
    return {};
}

QString EventLogModel::eventText(const Entry &entry) const
{
    const QString &e = entry.event;
    if (e == QLatin1String("device_connected"))
        return tr("Device connected");
    if (e == QLatin1String("device_disconnected"))
        return tr("Device disconnected");
    if (e == QLatin1String("device_error"))
        return tr("Device error");
    if (e == QLatin1String("device_added"))
        return tr("Device added");
    if (e == QLatin1String("device_removed"))
        return tr("Device removed");
    if (e == QLatin1String("stream_overflow"))
        return tr("Frames dropped");
    if (e == QLatin1String("stream_closed"))
        return tr("Stream closed");
    if (e == QLatin1String("stream_opened"))
        return tr("Stream opened");
    if (e == QLatin1String("server_shutdown"))
        return tr("Server shutting down");
    if (e == QLatin1String("client_connected"))
        return tr("Client connected");
    if (e == QLatin1String("client_disconnected"))
        return tr("Client disconnected");
    if (e == QLatin1String("command_finished"))
        return tr("Command finished");
    if (e == QLatin1String("command_failed"))
        return tr("Command failed");
    if (e == QLatin1String("command_audit"))
        return tr("Command (audit)");
    if (e == QLatin1String("command"))
        return tr("Command");
    return e;
}

QString EventLogModel::detailsOf(const QString &event, const QVariantMap &data) const
{
    if (event == QLatin1String("device_error")) {
        const int count = data.value(QStringLiteral("count"), 1).toInt();
        const QString message = data.value(QStringLiteral("message")).toString();
        return count > 1 ? tr("%1 (%n times)", nullptr, count).arg(message) : message;
    }
    if (event == QLatin1String("stream_overflow"))
        return tr("%n frame(s) dropped", nullptr, data.value(QStringLiteral("dropped")).toInt());
    if (data.isEmpty())
        return {};
    return QString::fromUtf8(
        QJsonDocument(QJsonObject::fromVariantMap(data)).toJson(QJsonDocument::Compact));
}

QVariant EventLogModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_entries.size())
        return {};
    const Entry &e = m_entries.at(index.row());
    switch (role) {
    case SeverityRole:
        return int(e.severity);
    case EventNameRole:
        return e.event;
    case TimestampRole:
        return e.timestampUs;
    case Qt::ForegroundRole:
        if (index.column() == SeverityColumn || e.severity == Severity::Error)
            return QBrush(severityColor(e.severity));
        return {};
    case Qt::BackgroundRole:
        if (e.severity == Severity::Error)
            return QBrush(QColor(0xfb, 0xe4, 0xe4));
        if (e.severity == Severity::Warning)
            return QBrush(QColor(0xfd, 0xf3, 0xdc));
        return {};
    case Qt::ToolTipRole:
        if (index.column() == TimeColumn)
            return toDateTime(e.timestampUs).toString(Qt::ISODateWithMs);
        if (index.column() == EventColumn)
            return e.event;
        if (index.column() == DetailsColumn)
            return e.details;
        return {};
    case Qt::DisplayRole:
        break;
    default:
        return {};
    }
    switch (index.column()) {
    case TimeColumn:
        return toDateTime(e.timestampUs).toString(QStringLiteral("HH:mm:ss.zzz"));
    case SeverityColumn:
        return severityText(e.severity);
    case SourceColumn:
        if (!e.stream.isEmpty())
            return e.device.isEmpty() ? e.stream : tr("%1 / %2").arg(e.device, e.stream);
        if (!e.device.isEmpty())
            return e.device;
        return e.client;
    case EventColumn:
        return eventText(e);
    case DetailsColumn:
        return e.details;
    }
    return {};
}

QVariant EventLogModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case TimeColumn:
        return tr("Time");
    case SeverityColumn:
        return tr("Severity");
    case SourceColumn:
        return tr("Source");
    case EventColumn:
        return tr("Event");
    case DetailsColumn:
        return tr("Details");
    }
    return {};
}

void EventLogModel::addBroadcast(const QVariantMap &event)
{
    Entry entry;
    entry.event = event.value(QStringLiteral("event")).toString();
    entry.timestampUs = event.value(QStringLiteral("ts")).toLongLong();
    entry.device = event.value(QStringLiteral("device")).toString();
    entry.stream = event.value(QStringLiteral("stream")).toString();
    entry.data = event.value(QStringLiteral("data")).toMap();
    entry.severity = severityOf(entry.event, entry.data);
    addEntry(std::move(entry));
}

void EventLogModel::addEntry(Entry entry)
{
    if (entry.timestampUs == 0)
        entry.timestampUs = QDateTime::currentMSecsSinceEpoch() * 1000;
    if (entry.details.isEmpty())
        entry.details = detailsOf(entry.event, entry.data);
    m_pending.append(std::move(entry));
    // More than a full log waiting: only the newest can ever be shown.
    if (m_pending.size() > m_maxEntries)
        m_pending.remove(0, m_pending.size() - m_maxEntries);
    if (!m_batchTimer.isActive())
        m_batchTimer.start();
}

void EventLogModel::flush()
{
    m_batchTimer.stop();
    if (m_pending.isEmpty())
        return;
    const int first = int(m_entries.size());
    beginInsertRows({}, first, first + int(m_pending.size()) - 1);
    m_entries.append(m_pending);
    m_pending.clear();
    endInsertRows();
    trim();
}

void EventLogModel::clear()
{
    beginResetModel();
    m_entries.clear();
    m_pending.clear();
    endResetModel();
}

const EventLogModel::Entry *EventLogModel::entry(int row) const
{
    return row >= 0 && row < m_entries.size() ? &m_entries.at(row) : nullptr;
}

void EventLogModel::setMaxEntries(int max)
{
    m_maxEntries = qMax(1, max);
    trim();
}

void EventLogModel::trim()
{
    const int excess = int(m_entries.size()) - m_maxEntries;
    if (excess <= 0)
        return;
    beginRemoveRows({}, 0, excess - 1);
    m_entries.remove(0, excess);
    endRemoveRows();
}

bool EventLogModel::exportTo(const QString &fileName, QString *error, const QList<int> &rows) const
{
    const bool csv = QFileInfo(fileName).suffix().compare(QLatin1String("csv"), Qt::CaseInsensitive) == 0;
    return exportTo(fileName, csv ? Format::Csv : Format::JsonLines, error, rows);
}

bool EventLogModel::exportTo(const QString &fileName, Format format, QString *error,
                             const QList<int> &rows) const
{
    QSaveFile file(fileName);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) {
        if (error)
            *error = file.errorString();
        return false;
    }
    QList<int> selected = rows;
    if (selected.isEmpty()) {
        for (int i = 0; i < m_entries.size(); ++i)
            selected.append(i);
    }
    if (format == Format::Csv)
        file.write("time,severity,event,device,stream,client,details\n");
    for (int row : std::as_const(selected)) {
        const Entry *e = entry(row);
        if (!e)
            continue;
        if (format == Format::Csv) {
            const QStringList fields{
                toDateTime(e->timestampUs).toUTC().toString(Qt::ISODateWithMs),
                severityKey(e->severity), e->event, e->device, e->stream, e->client, e->details};
            QStringList quoted;
            for (const QString &f : fields)
                quoted.append(csvField(f));
            file.write(quoted.join(QLatin1Char(',')).toUtf8());
            file.write("\n");
        } else {
            QJsonObject o;
            o.insert(QStringLiteral("ts"), e->timestampUs);
            o.insert(QStringLiteral("severity"), severityKey(e->severity));
            o.insert(QStringLiteral("event"), e->event);
            if (!e->device.isEmpty())
                o.insert(QStringLiteral("device"), e->device);
            if (!e->stream.isEmpty())
                o.insert(QStringLiteral("stream"), e->stream);
            if (!e->client.isEmpty())
                o.insert(QStringLiteral("client"), e->client);
            if (!e->data.isEmpty())
                o.insert(QStringLiteral("data"), QJsonObject::fromVariantMap(e->data));
            o.insert(QStringLiteral("details"), e->details);
            file.write(QJsonDocument(o).toJson(QJsonDocument::Compact));
            file.write("\n");
        }
    }
    if (!file.commit()) {
        if (error)
            *error = file.errorString();
        return false;
    }
    return true;
}

} // namespace halhub

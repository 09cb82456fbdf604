#include "devicetablemodel.h"

#include "bus/devicebus.h"

#include <QBrush>
#include <QColor>
#include <QDateTime>
#include <QHash>
#include <QIcon>
#include <QPainter>
#include <QPixmap>
#include <QLocale>

namespace halhub {

DeviceTableModel::DeviceTableModel(DeviceBus *bus, QObject *parent)
    : QAbstractTableModel(parent), m_bus(bus)
{
    if (!bus)
        return;
    for (const DeviceInfo &info : bus->devices())
        m_rows.append(rowFor(info));
    connect(bus, &DeviceBus::deviceAdded, this, &DeviceTableModel::onAdded);
    connect(bus, &DeviceBus::deviceRemoved, this, &DeviceTableModel::onRemoved);
    connect(bus, &DeviceBus::deviceStateChanged, this, &DeviceTableModel::onStateChanged);
    connect(bus, &DeviceBus::deviceInfoChanged, this, &DeviceTableModel::onInfoChanged);
    connect(bus, &DeviceBus::deviceError, this, &DeviceTableModel::onError);
}

int DeviceTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int DeviceTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QColor DeviceTableModel::stateColor(DeviceState state)
{
    switch (state) {
    case DeviceState::Connected:
        return QColor(0x2e, 0x9e, 0x44);
    case DeviceState::Connecting:
        return QColor(0xd0, 0x9a, 0x10);
    case DeviceState::Disconnected:
        return QColor(0x8a, 0x8a, 0x8a);
    case DeviceState::Error:
        return QColor(0xc8, 0x2a, 0x2a);
    }
    return {};
}

QIcon DeviceTableModel::stateIcon(DeviceState state)
{
    // A lamp, as on the instrument's front panel; made once per colour.
    static QHash<int, QIcon> icons;
    auto it = icons.find(int(state));
    if (it != icons.end())
        return *it;
    QPixmap pixmap(32, 32);
    pixmap.fill(Qt::transparent);
    QPainter p(&pixmap);
    p.setRenderHint(QPainter::Antialiasing);
    const QColor color = stateColor(state);
    p.setPen(QPen(color.darker(140), 2));
    p.setBrush(color);
    p.drawEllipse(QRectF(7, 7, 18, 18));
    p.end();
    return *icons.insert(int(state), QIcon(pixmap));
}

QString DeviceTableModel::stateText(DeviceState state)
{
    switch (state) {
    case DeviceState::Connected:
        return tr("connected");
    case DeviceState::Connecting:
        return tr("connecting");
    case DeviceState::Disconnected:
        return tr("disconnected");
    case DeviceState::Error:
        return tr("error");
    }
    return {};
}

QVariant DeviceTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const Row &row = m_rows.at(index.row());
    const DeviceInfo &d = row.info;
    if (role == DeviceIdRole)
        return d.id;
    if (role == StateRole)
        return int(d.state);
    if (index.column() == StateColumn) {
        if (role == Qt::DecorationRole)
            return stateIcon(d.state);
        if (role == Qt::ForegroundRole)
            return QBrush(stateColor(d.state).darker(130));
    }
    if (index.column() == ErrorColumn && role == Qt::ForegroundRole)
        return QBrush(QColor(0xb0, 0x20, 0x20));
    if (role == Qt::ToolTipRole) {
        if (index.column() == ErrorColumn && !row.lastError.isEmpty())
            return tr("%1 at %2").arg(row.lastError,
                                      QDateTime::fromMSecsSinceEpoch(row.lastErrorAtMs)
                                          .toString(QStringLiteral("HH:mm:ss")));
        if (index.column() == PortColumn && !d.port.isEmpty())
            return d.port;
        if (index.column() == StateColumn && d.state != DeviceState::Connected
            && !d.error.isEmpty())
            return d.error;
        return {};
    }
    if (role == Qt::TextAlignmentRole && index.column() == RateColumn)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case IdColumn:
        return d.id;
    case NameColumn:
        return d.name.isEmpty() ? d.id : d.name;
    case PluginColumn:
        return d.plugin;
    case PortColumn:
        return d.port.isEmpty() ? QStringLiteral("–") : d.port;
    case StateColumn:
        return stateText(d.state);
    case RateColumn:
        return d.rateHz ? tr("%1 Hz").arg(QLocale().toString(*d.rateHz, 'g', 6)) : tr("push");
    case ErrorColumn:
        return row.lastError;
    case NodeColumn:
        return d.node;
    }
    return {};
}

QVariant DeviceTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case IdColumn:
        return tr("Device");
    case NameColumn:
        return tr("Name");
    case PluginColumn:
        return tr("Plugin");
    case PortColumn:
        return tr("Port");
    case StateColumn:
        return tr("State");
    case RateColumn:
        return tr("Native rate");
    case ErrorColumn:
        return tr("Last error");
    case NodeColumn:
        return tr("Node");
    }
    return {};
}

int DeviceTableModel::rowOf(const QString &device) const
{
    for (int i = 0; i < m_rows.size(); ++i) {
        if (m_rows.at(i).info.id == device)
            return i;
    }
    return -1;
}

const DeviceInfo *DeviceTableModel::device(int row) const
{
    return row >= 0 && row < m_rows.size() ? &m_rows.at(row).info : nullptr;
}

QString DeviceTableModel::lastError(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows.at(row).lastError : QString();
}

void DeviceTableModel::onAdded(const DeviceInfo &info)
{
    const int existing = rowOf(info.id);
    if (existing >= 0) {
        m_rows[existing].info = info;
        rowChanged(existing);
        return;
    }
    const int row = int(m_rows.size());
    beginInsertRows({}, row, row);
    m_rows.append(rowFor(info));
    endInsertRows();
}

void DeviceTableModel::onRemoved(const QString &device)
{
    const int row = rowOf(device);
    if (row < 0)
        return;
    beginRemoveRows({}, row, row);
    m_rows.removeAt(row);
    endRemoveRows();
}

void DeviceTableModel::onStateChanged(const QString &device, DeviceState state)
{
    const int row = rowOf(device);
    if (row < 0)
        return;
    m_rows[row].info.state = state;
    rowChanged(row);
}

void DeviceTableModel::onInfoChanged(const DeviceInfo &info)
{
    const int row = rowOf(info.id);
    if (row < 0)
        return;
    m_rows[row].info = info;
    rowChanged(row);
}

void DeviceTableModel::onError(const QString &device, const QString &message)
{
    const int row = rowOf(device);
    if (row < 0)
        return;
    m_rows[row].lastError = message;
    m_rows[row].lastErrorAtMs = QDateTime::currentMSecsSinceEpoch();
    rowChanged(row);
}

DeviceTableModel::Row DeviceTableModel::rowFor(const DeviceInfo &info)
{
    Row row{info, info.error, 0};
    if (!info.error.isEmpty())
        row.lastErrorAtMs = QDateTime::currentMSecsSinceEpoch();
    return row;
}

void DeviceTableModel::rowChanged(int row)
{
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

} // namespace halhub

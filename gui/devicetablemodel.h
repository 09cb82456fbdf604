#pragma once

#include "bus/deviceinfo.h"

#include <QAbstractTableModel>
#include <QIcon>
#include <QPointer>

namespace halhub {

class DeviceBus;

// The Devices dock. Device changes are rare, so it follows the bus's
// signals directly; samples are never looked at here.
class DeviceTableModel final : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        IdColumn,
        NameColumn,
        PluginColumn,
        PortColumn,
        StateColumn,
        RateColumn,
        ErrorColumn,
        NodeColumn,         // the cluster node that owns it (empty outside a cluster)
        ColumnCount
    };
    enum Role { DeviceIdRole = Qt::UserRole + 1, StateRole };

    explicit DeviceTableModel(DeviceBus *bus, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    int rowOf(const QString &device) const;
    const DeviceInfo *device(int row) const;
    QString lastError(int row) const;

    static QColor stateColor(DeviceState state);
    static QIcon stateIcon(DeviceState state);
    static QString stateText(DeviceState state);

private:
    struct Row
    {
        DeviceInfo info;
        QString lastError;
        qint64 lastErrorAtMs = 0;
    };

    void onAdded(const DeviceInfo &info);
    void onRemoved(const QString &device);
    void onStateChanged(const QString &device, DeviceState state);
    void onInfoChanged(const DeviceInfo &info);
    void onError(const QString &device, const QString &message);
    void rowChanged(int row);
    // A device that failed before the model saw it shows its reason at once.
    static Row rowFor(const DeviceInfo &info);

    QPointer<DeviceBus> m_bus;
    QList<Row> m_rows;
};

} // namespace halhub

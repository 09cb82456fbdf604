#pragma once

#include "liveplot.h"

#include <QAbstractTableModel>

namespace halhub {

// The channels of the plotted device as numbers: each one's newest value
// and its lowest and highest over the plot window, with its unit. Fed from
// the plot's readings a few times a second (MainWindow's refresh), so it
// costs nothing per sample.
class ChannelTableModel final : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { ChannelColumn, ValueColumn, MinimumColumn, MaximumColumn, ColumnCount };

    using QAbstractTableModel::QAbstractTableModel;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    void setReadings(const QList<LivePlot::Reading> &readings);

    // "12.5 V"; "–" without a value.
    static QString formatValue(double value, const QString &unit);

private:
    QList<LivePlot::Reading> m_rows;
};

} // namespace halhub

#include "channeltablemodel.h"

#include <QLocale>

namespace halhub {

int ChannelTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ChannelTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString ChannelTableModel::formatValue(double value, const QString &unit)
{
    const QString number = QLocale().toString(value, 'g', 6);
    return unit.isEmpty() ? number : tr("%1 %2").arg(number, unit);
}

QVariant ChannelTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const LivePlot::Reading &r = m_rows.at(index.row());
    if (role == Qt::TextAlignmentRole && index.column() != ChannelColumn)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    if (index.column() == ChannelColumn)
        return r.name;
    if (!r.hasValue)
        return QStringLiteral("–");
    switch (index.column()) {
    case ValueColumn:
        return formatValue(r.value, r.unit);
    case MinimumColumn:
        return formatValue(r.minimum, r.unit);
    case MaximumColumn:
        return formatValue(r.maximum, r.unit);
    }
    return {};
}

QVariant ChannelTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case ChannelColumn:
        return tr("Channel");
    case ValueColumn:
        return tr("Value");
    case MinimumColumn:
        return tr("Min (window)");
    case MaximumColumn:
        return tr("Max (window)");
    }
    return {};
}

void ChannelTableModel::setReadings(const QList<LivePlot::Reading> &readings)
{
    const bool sameRows = readings.size() == m_rows.size()
            && std::equal(readings.cbegin(), readings.cend(), m_rows.cbegin(),
                          [](const LivePlot::Reading &a, const LivePlot::Reading &b) {
                              return a.name == b.name;
                          });
    if (!sameRows) {
        beginResetModel();
        m_rows = readings;
        endResetModel();
        return;
    }
    m_rows = readings;
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, ValueColumn), index(int(m_rows.size()) - 1, ColumnCount - 1));
}

} // namespace halhub

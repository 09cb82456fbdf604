#pragma once

#include <QAbstractTableModel>
#include <QList>

#include <set>
#include <type_traits>

namespace halhub {

// Base of the tables refreshed by polling: replaces its rows with a fresh
// snapshot by key, so that rows that stay keep their index (selection and
// scroll position survive a refresh) and only rows that changed repaint.
class StatsTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    using QAbstractTableModel::QAbstractTableModel;

protected:
    // rows and fresh must both be sorted by key. same(a, b): nothing visible changed.
    template<typename T, typename KeyFn, typename SameFn>
    void syncRows(QList<T> &rows, QList<T> fresh, KeyFn key, SameFn same)
    {
        using Key = std::decay_t<decltype(key(fresh.first()))>;
        std::set<Key> freshKeys;
        for (const T &item : fresh)
            freshKeys.insert(key(item));
        // From the back, so the indices still to visit stay valid.
        for (int i = int(rows.size()) - 1; i >= 0; --i) {
            if (freshKeys.count(key(rows.at(i))) == 0) {
                beginRemoveRows({}, i, i);
                rows.removeAt(i);
                endRemoveRows();
            }
        }
        // rows is now a sorted subset of fresh: walk both. The rows that
        // changed are told in one dataChanged over their span, not one per
        // row: with a thousand clients a view would otherwise lay out its
        // columns a thousand times per refresh. Inserting at r leaves the
        // indices before r alone, so the span's indices hold to the end.
        int firstChanged = -1;
        int lastChanged = -1;
        for (int r = 0; r < int(fresh.size()); ++r) {
            T &item = fresh[r];
            if (r < rows.size() && key(rows.at(r)) == key(item)) {
                if (!same(rows.at(r), item)) {
                    rows[r] = std::move(item);
                    if (firstChanged < 0)
                        firstChanged = r;
                    lastChanged = r;
                }
            } else {
                beginInsertRows({}, r, r);
                rows.insert(r, std::move(item));
                endInsertRows();
            }
        }
        if (firstChanged >= 0)
            Q_EMIT dataChanged(index(firstChanged, 0), index(lastChanged, columnCount() - 1));
    }
};

} // namespace halhub

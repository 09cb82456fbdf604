#include "streamtablemodel.h"

#include "clienttablemodel.h"

#include <QBrush>
#include <QCoreApplication>
#include <QHash>
#include <QLocale>

#include <algorithm>

namespace halhub {

namespace {

constexpr qint64 kRateWindowMs = 2000;

QString formatRate(double hz)
{
    const QLocale locale;
    return QCoreApplication::translate("halhub::StreamTableModel", "%1 Hz")
        .arg(locale.toString(hz, 'f', hz < 10 ? 1 : 0));
}

QString formatLatency(double ms)
{
    if (ms < 0)
        return QStringLiteral("–");
    const QLocale locale;
    return QCoreApplication::translate("halhub::StreamTableModel", "%1 ms")
        .arg(locale.toString(ms, 'f', ms < 10 ? 2 : 1));
}

} // namespace

StreamTableModel::StreamTableModel(Server *server, QObject *parent)
    : StatsTableModel(parent), m_server(server)
{
    m_clock.start();
    refresh();
}

void StreamTableModel::setClientModel(const ClientTableModel *clients)
{
    m_clients = clients;
}

int StreamTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int StreamTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant StreamTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const Row &row = m_rows.at(index.row());
    const StreamStats &s = row.stats;
    if (role == StreamIdRole)
        return s.id;
    if (role == AchievedRateRole)
        return row.achievedHz;
    if (role == Qt::TextAlignmentRole && index.column() >= RequestedColumn)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ForegroundRole) {
        if (index.column() == DroppedColumn && s.framesDropped > 0)
            return QBrush(QColor(0xc0, 0x60, 0x00));
        if (index.column() == OwnerColumn && row.owner.isEmpty())
            return QBrush(QColor(0x80, 0x80, 0x80));
        return {};
    }
    if (role == Qt::ToolTipRole) {
        switch (index.column()) {
        case OwnerColumn:
            return tr("Session %1").arg(s.session);
        case RequestedColumn:
            return s.grantedRateHz > 0 ? tr("Granted: %1").arg(formatRate(s.grantedRateHz))
                                       : tr("Granted: one frame per device sample");
        case SentColumn:
            return tr("%1 frames produced").arg(QLocale().toString(qulonglong(s.framesProduced)));
        default:
            return {};
        }
    }
    if (role != Qt::DisplayRole && role != RawValueRole)
        return {};
    const bool raw = role == RawValueRole;
    const QLocale locale;
    switch (index.column()) {
    case StreamColumn:
        return s.id;
    case OwnerColumn:
        if (raw)
            return s.session;
        return row.owner.isEmpty() ? tr("detached (%1…)").arg(s.session.left(8)) : row.owner;
    case DeviceColumn:
        return s.device;
    case ModeColumn: {
        if (s.customRatesHz.isEmpty())
            return streamModeName(s.mode);
        // A custom stream's own rates, which the requested rate does not tell.
        QStringList rates;
        for (auto it = s.customRatesHz.cbegin(); it != s.customRatesHz.cend(); ++it)
            rates << tr("%1: %2").arg(it.key(), formatRate(it.value()));
        return tr("%1 (%2)").arg(streamModeName(s.mode), rates.join(QStringLiteral(", ")));
    }
    case RequestedColumn:
        if (raw)
            return s.requestedRateHz;
        return s.requestedRateHz > 0 ? formatRate(s.requestedRateHz) : tr("native");
    case AchievedColumn:
        if (raw)
            return row.achievedHz;
        return row.achievedHz < 0 ? QStringLiteral("–") : formatRate(row.achievedHz);
    case SentColumn:
        return raw ? QVariant(s.framesSent) : QVariant(locale.toString(qulonglong(s.framesSent)));
    case DroppedColumn:
        return raw ? QVariant(s.framesDropped)
                   : QVariant(locale.toString(qulonglong(s.framesDropped)));
    case P50Column:
        return raw ? QVariant(s.latencyP50Ms) : QVariant(formatLatency(s.latencyP50Ms));
    case P95Column:
        return raw ? QVariant(s.latencyP95Ms) : QVariant(formatLatency(s.latencyP95Ms));
    }
    return {};
}

QVariant StreamTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return StatsTableModel::headerData(section, orientation, role);
    switch (section) {
    case StreamColumn:
        return tr("Stream");
    case OwnerColumn:
        return tr("Owner");
    case DeviceColumn:
        return tr("Device");
    case ModeColumn:
        return tr("Mode");
    case RequestedColumn:
        return tr("Requested");
    case AchievedColumn:
        return tr("Achieved");
    case SentColumn:
        return tr("Frames sent");
    case DroppedColumn:
        return tr("Dropped");
    case P50Column:
        return tr("p50");
    case P95Column:
        return tr("p95");
    }
    return {};
}

const StreamStats *StreamTableModel::stream(int row) const
{
    return row >= 0 && row < m_rows.size() ? &m_rows.at(row).stats : nullptr;
}

double StreamTableModel::achievedRate(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows.at(row).achievedHz : -1;
}

void StreamTableModel::refresh()
{
    if (!m_server)
        return;
    const qint64 now = m_clock.elapsed();
    QHash<QString, const Row *> previous;
    for (const Row &row : std::as_const(m_rows))
        previous.insert(row.stats.id, &row);

    QList<Row> fresh;
    const QList<StreamStats> stats = m_server->streamStats();
    fresh.reserve(stats.size());
    QList<QPair<StreamStats, quint64>> drops;
    QList<StreamStats> opened;
    for (const StreamStats &s : stats) {
        Row row;
        row.stats = s;
        if (m_clients)
            row.owner = m_clients->describeSession(s.session);
        if (const Row *old = previous.value(s.id)) {
            row.history = old->history;
            if (s.framesDropped > old->stats.framesDropped)
                drops.append({s, s.framesDropped - old->stats.framesDropped});
        } else {
            opened.append(s);
        }
        row.history.append({now, s.framesSent});
        while (row.history.size() > 2 && now - row.history.at(1).first >= kRateWindowMs)
            row.history.removeFirst();
        const auto &[firstMs, firstSent] = row.history.constFirst();
        if (now > firstMs && s.framesSent >= firstSent)
            row.achievedHz = double(s.framesSent - firstSent) * 1000.0 / double(now - firstMs);
        fresh.append(std::move(row));
    }
    QList<StreamStats> closed;
    for (const Row &row : std::as_const(m_rows)) {
        const bool stays = std::any_of(stats.cbegin(), stats.cend(), [&row](const StreamStats &s) {
            return s.id == row.stats.id;
        });
        if (!stays)
            closed.append(row.stats);
    }

    // Stream ids are opaque; sorting by them keeps a stable order that
    // syncRows can walk.
    std::sort(fresh.begin(), fresh.end(),
              [](const Row &a, const Row &b) { return a.stats.id < b.stats.id; });
    syncRows(m_rows, std::move(fresh), [](const Row &r) { return r.stats.id; },
             [](const Row &a, const Row &b) {
                 return a.stats.framesSent == b.stats.framesSent
                     && a.stats.framesDropped == b.stats.framesDropped
                     && a.stats.latencyP50Ms == b.stats.latencyP50Ms
                     && a.stats.latencyP95Ms == b.stats.latencyP95Ms
                     && a.achievedHz == b.achievedHz && a.owner == b.owner
                     && a.history == b.history;
             });

    for (const StreamStats &s : std::as_const(opened))
        Q_EMIT streamOpened(s);
    for (const auto &drop : std::as_const(drops))
        Q_EMIT framesDropped(drop.first, drop.second);
    for (const StreamStats &s : std::as_const(closed))
        Q_EMIT streamClosed(s);
}

} // namespace halhub

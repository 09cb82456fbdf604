#include "clienttablemodel.h"

#include <QBrush>
#include <QDateTime>
#include <QLocale>

#include <algorithm>

namespace halhub {

namespace {

bool sameClient(const ClientStats &a, const ClientStats &b)
{
    return a.address == b.address && a.user == b.user && a.client == b.client
        && a.connectedAtMs == b.connectedAtMs && a.encoding == b.encoding
        && a.compression == b.compression && a.messagesIn == b.messagesIn
        && a.messagesOut == b.messagesOut && a.unsentBytes == b.unsentBytes
        && a.rateLimitHits == b.rateLimitHits && a.streams == b.streams;
}

} // namespace

ClientTableModel::ClientTableModel(Server *server, QObject *parent)
    : StatsTableModel(parent), m_server(server)
{
    refresh();
}

int ClientTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ClientTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ClientTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const ClientStats &c = m_rows.at(index.row());
    if (role == IdRole)
        return c.id;
    if (role == SessionRole)
        return c.session;
    if (role == Qt::TextAlignmentRole && index.column() >= MessagesInColumn)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    const QLocale locale;
    if (role == Qt::ToolTipRole) {
        switch (index.column()) {
        case ConnectedColumn:
            return QDateTime::fromMSecsSinceEpoch(c.connectedAtMs).toString(Qt::ISODate);
        case UnsentColumn:
            return tr("Bytes queued in the server and not yet handed to the operating system");
        default:
            return tr("Session %1").arg(c.session);
        }
    }
    if (role == Qt::ForegroundRole) {
        if (index.column() == UnsentColumn && c.unsentBytes > 0)
            return QBrush(QColor(0xc0, 0x60, 0x00));
        if (index.column() == RateLimitColumn && c.rateLimitHits > 0)
            return QBrush(QColor(0xb0, 0x20, 0x20));
        return {};
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case AddressColumn:
        return c.address;
    case UserColumn:
        return c.user.isEmpty() ? tr("(anonymous)") : c.user;
    case ClientColumn:
        return c.client;
    case ConnectedColumn:
        return QDateTime::fromMSecsSinceEpoch(c.connectedAtMs).toString(QStringLiteral("HH:mm:ss"));
    case EncodingColumn:
        return c.compression ? tr("%1 + zlib").arg(c.encoding) : c.encoding;
    case MessagesInColumn:
        return locale.toString(c.messagesIn);
    case MessagesOutColumn:
        return locale.toString(c.messagesOut);
    case UnsentColumn:
        return locale.formattedDataSize(c.unsentBytes, 1, QLocale::DataSizeTraditionalFormat);
    case RateLimitColumn:
        return locale.toString(c.rateLimitHits);
    case StreamsColumn:
        return c.streams;
    }
    return {};
}

QVariant ClientTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return StatsTableModel::headerData(section, orientation, role);
    switch (section) {
    case AddressColumn:
        return tr("Address");
    case UserColumn:
        return tr("User");
    case ClientColumn:
        return tr("Client");
    case ConnectedColumn:
        return tr("Connected since");
    case EncodingColumn:
        return tr("Encoding");
    case MessagesInColumn:
        return tr("Msgs in");
    case MessagesOutColumn:
        return tr("Msgs out");
    case UnsentColumn:
        return tr("Unsent");
    case RateLimitColumn:
        return tr("Rate-limited");
    case StreamsColumn:
        return tr("Streams");
    }
    return {};
}

quint64 ClientTableModel::clientId(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows.at(row).id : 0;
}

const ClientStats *ClientTableModel::client(int row) const
{
    return row >= 0 && row < m_rows.size() ? &m_rows.at(row) : nullptr;
}

QString ClientTableModel::describeSession(const QString &session) const
{
    for (const ClientStats &c : m_rows) {
        if (c.session != session)
            continue;
        // The name the client gave in its hello says more than ip:port.
        const QString who = c.client.isEmpty() ? c.address : c.client;
        return c.user.isEmpty() ? who : tr("%1 (%2)").arg(who, c.user);
    }
    return {};
}

void ClientTableModel::refresh()
{
    if (!m_server)
        return;
    QList<ClientStats> fresh = m_server->clientStats();
    std::sort(fresh.begin(), fresh.end(),
              [](const ClientStats &a, const ClientStats &b) { return a.id < b.id; });
    syncRows(m_rows, std::move(fresh), [](const ClientStats &c) { return c.id; }, sameClient);
}

} // namespace halhub

#include "clusterview.h"

#include "cluster/clusternode.h"

#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace halhub {

ClusterView::ClusterView(ClusterNode *node, QWidget *parent)
    : QWidget(parent)
    , m_node(node)
    , m_link(new QLabel(this))
    , m_tree(new QTreeWidget(this))
    , m_poll(new QTimer(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_link);
    layout->addWidget(m_tree);
    m_tree->setColumnCount(2);
    m_tree->setHeaderLabels({tr("Node"), tr("State")});
    m_tree->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_tree->setRootIsDecorated(true);
    connect(m_node, &ClusterNode::changed, this, &ClusterView::refresh);
    // The round trip changes with every heartbeat; a change of nodes comes
    // through the signal at once.
    m_poll->setInterval(1000);
    connect(m_poll, &QTimer::timeout, this, &ClusterView::refresh);
    m_poll->start();
    refresh();
}

QString ClusterView::linkText() const
{
    return m_link->text();
}

void ClusterView::refresh()
{
    const double rtt = m_node->redisRoundTripMs();
    const QString error = m_node->redisError();
    if (!m_node->redisConnected() && !error.isEmpty())
        m_link->setText(tr("Redis: disconnected (%1)").arg(error));
    else if (!m_node->redisConnected())
        m_link->setText(tr("Redis: disconnected"));
    else if (rtt < 0)
        m_link->setText(tr("Redis: connected"));
    else
        m_link->setText(tr("Redis: connected, round trip %1 ms").arg(QLocale().toString(rtt, 'f', 1)));

    const QList<ClusterNode::NodeView> nodes = m_node->nodes();
    m_tree->clear();
    for (const ClusterNode::NodeView &n : nodes) {
        auto *item = new QTreeWidgetItem(m_tree);
        item->setText(0, n.self ? tr("%1 (this node)").arg(n.name) : n.name);
        item->setText(1, n.alive ? tr("alive") : tr("gone"));
        for (const QString &device : n.devices) {
            auto *child = new QTreeWidgetItem(item);
            child->setText(0, device);
        }
        item->setExpanded(true);
    }
}

} // namespace halhub

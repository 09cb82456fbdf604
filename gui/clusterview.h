#pragma once

#include <QWidget>

class QLabel;
class QTreeWidget;
class QTimer;

namespace halhub {

class ClusterNode;

// The Cluster dock: the nodes of the cluster (this one first), each with its
// devices, whether it is alive, and the Redis link with its round trip.
// It only observes the ClusterNode (its changed signal and a 1 s poll).
class ClusterView final : public QWidget
{
    Q_OBJECT
public:
    explicit ClusterView(ClusterNode *node, QWidget *parent = nullptr);

    QTreeWidget *tree() const { return m_tree; }
    QString linkText() const;

public Q_SLOTS:
    void refresh();

private:
    ClusterNode *m_node = nullptr;
    QLabel *m_link = nullptr;
    QTreeWidget *m_tree = nullptr;
    QTimer *m_poll = nullptr;
};

} // namespace halhub

// The Cluster dock against a real redis-server that wants a password: the
// link line says why it is down, then that it is up, and the tree lists
// this node with its devices.

#include "cluster/clusternode.h"
#include "clusterview.h"
#include "fakebus.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace halhub;

class tst_ClusterView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void showsWhyRedisIsDownThenTheNodes();

private:
    QTemporaryDir m_dir;
    QProcess m_redis;
    QString m_socket;
};

void tst_ClusterView::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_socket = m_dir.filePath(QStringLiteral("redis.sock"));
    m_redis.setStandardOutputFile(QProcess::nullDevice());
    m_redis.start(QStringLiteral(REDIS_SERVER),
                  {QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--unixsocket"), m_socket,
                   QStringLiteral("--save"), QString(), QStringLiteral("--appendonly"), QStringLiteral("no"),
                   QStringLiteral("--requirepass"), QStringLiteral("lab-secret")});
    QVERIFY(m_redis.waitForStarted());
    // It listens once its socket is there.
    QVERIFY(QTest::qWaitFor([&] { return QFile::exists(m_socket); }, 10000));
}

void tst_ClusterView::cleanupTestCase()
{
    m_redis.terminate();
    m_redis.waitForFinished(5000);
}

void tst_ClusterView::showsWhyRedisIsDownThenTheNodes()
{
    FakeBus local;
    local.add(FakeBus::connectedDevice(QStringLiteral("bench0")));
    ClusterConfig config;
    config.node = QStringLiteral("bench-a");
    config.redis = QStringLiteral("unix://") + m_socket;
    config.redisPassword = QStringLiteral("not-the-secret");
    {
        ClusterNode node(config, &local);
        ClusterView view(&node);
        node.start();
        QTRY_VERIFY2_WITH_TIMEOUT(view.linkText().startsWith(QStringLiteral("Redis: disconnected (")),
                                  qPrintable(view.linkText()), 10000);
        QVERIFY2(view.linkText().contains(QStringLiteral("WRONGPASS")), qPrintable(view.linkText()));
        QVERIFY(!view.linkText().contains(QStringLiteral("not-the-secret")));
    }

    config.redisPassword = QStringLiteral("lab-secret");
    ClusterNode node(config, &local);
    ClusterView view(&node);
    node.start();
    QTRY_VERIFY2_WITH_TIMEOUT(view.linkText().startsWith(QStringLiteral("Redis: connected")),
                              qPrintable(view.linkText()), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(view.tree()->topLevelItemCount(), 1, 5000);
    const QTreeWidgetItem *self = view.tree()->topLevelItem(0);
    QCOMPARE(self->text(0), QStringLiteral("bench-a (this node)"));
    QCOMPARE(self->childCount(), 1);
    QCOMPARE(self->child(0)->text(0), QStringLiteral("bench0"));
    node.stop();
}

QTEST_MAIN(tst_ClusterView)
#include "tst_clusterview.moc"

#include "testserver.h"

#include "halmanager.h"
#include "server/server.h"

#include <QFile>

halhub::Config TestServer::simConfig(int sims, double rateHz)
{
    halhub::Config config;
    config.server.port = 0;
    for (int i = 0; i < sims; ++i) {
        halhub::DeviceConfig d;
        d.id = QStringLiteral("sim%1").arg(i);
        d.plugin = QStringLiteral("sim");
        d.settings = {{QStringLiteral("id"), d.id},
                      {QStringLiteral("plugin"), d.plugin},
                      {QStringLiteral("rate_hz"), rateHz}};
        config.devices.append(d);
    }
    return config;
}

TestServer::TestServer(const halhub::Config &config)
    : m_config(config)
    , m_hal(std::make_unique<halhub::HalManager>())
{
}

TestServer::~TestServer()
{
    m_server.reset();
    m_hal->shutdown();
}

bool TestServer::start()
{
    m_hal->discoverPlugins({QStringLiteral(HALHUB_PLUGIN_DIR)});
    if (!m_hal->applyDevices(m_config.devices, &m_error))
        return false;
    m_server = std::make_unique<halhub::Server>(m_config, m_hal.get());
    return m_server->start(&m_error);
}

QUrl TestServer::url() const
{
    QUrl u;
    u.setScheme(QStringLiteral("ws"));
    u.setHost(QStringLiteral("127.0.0.1"));
    u.setPort(m_server->port());
    u.setPath(m_config.server.path);
    return u;
}

QUrl TestServer::metricsUrl(const QString &path) const
{
    QUrl u;
    u.setScheme(QStringLiteral("http"));
    u.setHost(QStringLiteral("127.0.0.1"));
    u.setPort(m_server->metricsPort());
    u.setPath(path);
    return u;
}

qint64 residentMemoryKb()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

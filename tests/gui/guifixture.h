#pragma once

// A real server with simulated devices and real WebSocket clients, for the
// GUI tests: the tables must show what a client does, not what a mock says.

#include "config/config.h"
#include "halmanager.h"
#include "server/server.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>

#include <functional>
#include <memory>

namespace halhub::test {

inline DeviceConfig simConfig(const QString &id, int rateHz = 100)
{
    DeviceConfig d;
    d.id = id;
    d.plugin = QStringLiteral("sim");
    d.settings = {{QStringLiteral("id"), id},
                  {QStringLiteral("plugin"), QStringLiteral("sim")},
                  {QStringLiteral("rate_hz"), rateHz}};
    return d;
}

// QSettings written by the window go to a directory of the test's own.
inline void isolateSettings(QTemporaryDir &dir)
{
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, dir.path());
    QCoreApplication::setOrganizationName(QStringLiteral("halhub-test"));
    QCoreApplication::setApplicationName(QStringLiteral("halhub-gui-test"));
}

struct RunningServer
{
    HalManager hal;
    std::unique_ptr<Server> server;

    bool start(const QList<DeviceConfig> &devices = {simConfig(QStringLiteral("sim0"))},
               const std::function<void(Config &)> &adjust = {})
    {
        if (hal.discoverPlugins({QStringLiteral(HALHUB_PLUGIN_DIR)}) == 0) {
            qWarning() << "no device plugins in" << HALHUB_PLUGIN_DIR << hal.loadErrors();
            return false;
        }
        QString error;
        if (!hal.applyDevices(devices, &error)) {
            qWarning() << "devices refused:" << error;
            return false;
        }
        Config config = Config::defaults();
        config.devices = devices;
        config.server.port = 0;
        if (adjust)
            adjust(config);
        server = std::make_unique<Server>(config, &hal);
        if (!server->start(&error)) {
            qWarning() << "server did not start:" << error;
            return false;
        }
        return true;
    }

    ~RunningServer()
    {
        server.reset();
        hal.shutdown();
    }
};

// A protocol client that keeps every message it gets.
class Client
{
public:
    explicit Client(const QUrl &url)
    {
        QObject::connect(&m_socket, &QWebSocket::textMessageReceived, &m_socket,
                         [this](const QString &text) {
                             m_messages.append(QJsonDocument::fromJson(text.toUtf8()).object().toVariantMap());
                         });
        m_socket.open(url);
    }

    QWebSocket &socket() { return m_socket; }
    bool isOpen() const { return m_socket.state() == QAbstractSocket::ConnectedState; }

    void send(const QVariantMap &message)
    {
        m_socket.sendTextMessage(
            QString::fromUtf8(QJsonDocument(QJsonObject::fromVariantMap(message)).toJson(QJsonDocument::Compact)));
    }

    // The first message of a type (and id, when given) received so far.
    QVariantMap find(const QString &type, const QVariant &id = {}) const
    {
        for (const QVariantMap &m : m_messages) {
            if (m.value(QStringLiteral("type")).toString() != type)
                continue;
            if (id.isValid() && m.value(QStringLiteral("id")) != id)
                continue;
            return m;
        }
        return {};
    }
    bool has(const QString &type, const QVariant &id = {}) const { return !find(type, id).isEmpty(); }

    QString subscribe(const QVariantMap &fields, int id)
    {
        QVariantMap m = fields;
        m.insert(QStringLiteral("type"), QStringLiteral("subscribe"));
        m.insert(QStringLiteral("id"), id);
        send(m);
        if (!QTest::qWaitFor([&] { return has(QStringLiteral("subscribed"), id) || has(QStringLiteral("error"), id); }, 5000))
            return {};
        return find(QStringLiteral("subscribed"), id).value(QStringLiteral("stream")).toString();
    }

    QList<QVariantMap> messages() const { return m_messages; }

private:
    QWebSocket m_socket;
    QList<QVariantMap> m_messages;
};

} // namespace halhub::test

#pragma once

#include "config/config.h"

#include <QUrl>

#include <memory>

namespace halhub {
class HalManager;
class Server;
}

// This process's resident memory in KiB (an in-process server's included),
// or -1 if it cannot be read.
qint64 residentMemoryKb();

// halhub in-process for a test: the real HAL with the built plugins, and
// the real server on an ephemeral loopback port.
class TestServer
{
public:
    // A config with sim devices sim0..simN-1 at rateHz, port 0.
    static halhub::Config simConfig(int sims = 2, double rateHz = 100);

    explicit TestServer(const halhub::Config &config = simConfig());
    ~TestServer();

    bool start();
    QString error() const { return m_error; }
    QUrl url() const;
    QUrl metricsUrl(const QString &path) const;

    halhub::Server &server() { return *m_server; }
    halhub::HalManager &hal() { return *m_hal; }

private:
    halhub::Config m_config;
    std::unique_ptr<halhub::HalManager> m_hal;
    std::unique_ptr<halhub::Server> m_server;
    QString m_error;
};

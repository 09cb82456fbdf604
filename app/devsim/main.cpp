// halhub-devsim: opens a pseudo-terminal (or, with --tcp, listens on a TCP
// port) and plays a SCPI power supply or a linestream board on it. Point a
// halhub device's `port` (or `tcp`) at what it prints.

#include "../unixsignals.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTextStream>
#include <QTimer>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cmath>
#include <cstdio>
#include <fcntl.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

namespace {

class Pty
{
public:
    bool open()
    {
        char name[256] = {};
        if (::openpty(&m_master, &m_slave, name, nullptr, nullptr) != 0)
            return false;
        termios tio{};
        ::tcgetattr(m_slave, &tio);
        ::cfmakeraw(&tio);
        ::tcsetattr(m_slave, TCSANOW, &tio);
        ::fcntl(m_master, F_SETFL, ::fcntl(m_master, F_GETFL) | O_NONBLOCK);
        m_path = QString::fromLocal8Bit(name);
        return true;
    }
    int master() const { return m_master; }
    QString path() const { return m_path; }
    void writeLine(const QByteArray &line)
    {
        const QByteArray bytes = line + "\r\n";
        // Nobody reading: the line is dropped, as on a cable nobody listens to.
        if (::write(m_master, bytes.constData(), size_t(bytes.size())) < 0)
            return;
    }
    // Complete lines read so far.
    QList<QByteArray> readLines()
    {
        char buffer[4096];
        ssize_t n;
        while ((n = ::read(m_master, buffer, sizeof buffer)) > 0)
            m_partial.append(buffer, qsizetype(n));
        QList<QByteArray> lines;
        qsizetype newline;
        while ((newline = m_partial.indexOf('\n')) >= 0) {
            lines << m_partial.left(newline).trimmed();
            m_partial.remove(0, newline + 1);
        }
        if (m_partial.size() > 4096)
            m_partial.clear();
        return lines;
    }

private:
    int m_master = -1;
    int m_slave = -1;       // kept open so the master never reads EIO between clients
    QString m_path;
    QByteArray m_partial;
};

// A 30 V / 5 A bench supply with a 10 ohm load on its output.
class PowerSupply
{
public:
    QByteArray handle(const QByteArray &line)
    {
        const QByteArray upper = line.toUpper();
        if (upper == "*IDN?")
            return "HALHUB,DEVSIM-PSU,0001,1.0";
        if (upper == "MEAS:VOLT?")
            return QByteArray::number(measuredVolts(), 'f', 3);
        if (upper == "MEAS:CURR?")
            return QByteArray::number(measuredVolts() / 10.0, 'f', 4);
        if (upper == "VOLT?")
            return QByteArray::number(m_volts, 'f', 3);
        if (upper == "OUTP?")
            return m_on ? "1" : "0";
        if (upper.startsWith("VOLT ")) {
            // Like an instrument, it ignores a setting it cannot read.
            bool ok = false;
            const double volts = line.mid(5).trimmed().toDouble(&ok);
            if (ok && std::isfinite(volts))
                m_volts = std::clamp(volts, 0.0, 30.0);
            return {};
        }
        if (upper.startsWith("OUTP ")) {
            const QByteArray v = upper.mid(5).trimmed();
            m_on = v == "1" || v == "ON";
            return {};
        }
        if (upper.endsWith('?'))
            return "-113,\"Undefined header\"";
        return {};
    }

private:
    double measuredVolts() const
    {
        // A little ripple so a plot shows it is alive.
        static int tick = 0;
        return m_on ? m_volts + 0.002 * std::sin(++tick * 0.3) : 0.0;
    }

    double m_volts = 12.0;
    bool m_on = true;
};

// What one line from halhub makes the board answer.
QByteArray boardAnswer(const QByteArray &line, bool *led)
{
    const QList<QByteArray> words = line.split(' ');
    if (words.first() == "led" && words.size() == 2) {
        *led = words.at(1) == "1";
        return "OK";
    }
    if (words.first() == "status")
        return QByteArray("OK led=") + (*led ? "1" : "0");
    return "ERR unknown command " + words.first();
}

// The TCP side: every connected client gets the board's lines and its own
// answers; lines are cut at '\n' with a trailing '\r' dropped.
class TcpSide
{
public:
    bool listen(quint16 port) { return m_server.listen(QHostAddress::LocalHost, port); }
    quint16 port() const { return m_server.serverPort(); }
    QString error() const { return m_server.errorString(); }

    template<typename Handler>
    void onLine(QObject *context, Handler handler)
    {
        QObject::connect(&m_server, &QTcpServer::newConnection, context, [this, context, handler]() {
            while (QTcpSocket *client = m_server.nextPendingConnection()) {
                m_clients << client;
                QObject::connect(client, &QTcpSocket::disconnected, context, [this, client]() {
                    m_clients.removeAll(client);
                    client->deleteLater();
                });
                QObject::connect(client, &QTcpSocket::readyRead, context, [client, handler]() {
                    while (client->canReadLine()) {
                        const QByteArray line = client->readLine().trimmed();
                        if (line.isEmpty())
                            continue;
                        const QByteArray reply = handler(line);
                        if (!reply.isEmpty())
                            client->write(reply + "\r\n");
                    }
                    if (client->bytesAvailable() > 4096)
                        client->readAll();
                });
            }
        });
    }

    void broadcast(const QByteArray &line)
    {
        for (QTcpSocket *client : std::as_const(m_clients))
            client->write(line + "\r\n");
    }

private:
    QTcpServer m_server;
    QList<QTcpSocket *> m_clients;
};

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("halhub-devsim"));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Plays a serial instrument on a pseudo-terminal and prints its path, or with --tcp\n"
            "on a TCP port of this machine (127.0.0.1)."));
    parser.addHelpOption();
    const QCommandLineOption scpiOption(QStringLiteral("scpi"),
                                        QStringLiteral("A SCPI power supply (the default)."));
    const QCommandLineOption lineOption(QStringLiteral("linestream"),
                                        QStringLiteral("A board pushing temp=..,hum=.. lines."));
    const QCommandLineOption rateOption(QStringLiteral("rate"),
                                        QStringLiteral("Lines a second for --linestream (10)."),
                                        QStringLiteral("hz"), QStringLiteral("10"));
    const QCommandLineOption linkOption(QStringLiteral("link"),
                                        QStringLiteral("Also make a symlink at this path."),
                                        QStringLiteral("path"));
    const QCommandLineOption tcpOption(QStringLiteral("tcp"),
                                       QStringLiteral("Listen on 127.0.0.1:<port> instead of a "
                                                      "pseudo-terminal (0: any free port, printed)."),
                                       QStringLiteral("port"));
    parser.addOptions({scpiOption, lineOption, rateOption, linkOption, tcpOption});
    parser.process(app);

    QTextStream out(stdout);
    QTextStream err(stderr);
    bool rateOk = false;
    const double rateHz = parser.value(rateOption).toDouble(&rateOk);
    if (!rateOk || !(rateHz >= 0.1 && rateHz <= 1000)) {
        err << "halhub-devsim: --rate expects a number from 0.1 to 1000" << Qt::endl;
        return 2;
    }
    const bool board = parser.isSet(lineOption);
    PowerSupply psu;
    double temp = 21.5;
    int hum = 40;
    bool led = false;
    auto answer = [&](const QByteArray &line) {
        return board ? boardAnswer(line, &led) : psu.handle(line);
    };
    auto boardLine = [&]() {
        static int tick = 0;
        ++tick;
        temp = 21.5 + 0.5 * std::sin(tick * 0.05);
        hum = 40 + (tick / 20) % 5;
        return "temp=" + QByteArray::number(temp, 'f', 2) + ",hum=" + QByteArray::number(hum)
                + ",led=" + (led ? "1" : "0");
    };
    QTimer push;
    if (board)
        push.setInterval(int(1000.0 / rateHz));

    if (parser.isSet(tcpOption)) {
        bool portOk = false;
        const uint port = parser.value(tcpOption).toUInt(&portOk);
        if (!portOk || port > 65535) {
            err << "halhub-devsim: --tcp expects a port from 0 to 65535" << Qt::endl;
            return 2;
        }
        TcpSide tcp;
        if (!tcp.listen(quint16(port))) {
            err << "halhub-devsim: cannot listen on port " << port << ": " << tcp.error()
                << Qt::endl;
            return 1;
        }
        tcp.onLine(&app, answer);
        out << (board ? "linestream board" : "SCPI power supply") << " on tcp 127.0.0.1:"
            << tcp.port() << Qt::endl;
        out << "port: " << tcp.port() << Qt::endl;
        if (board) {
            QObject::connect(&push, &QTimer::timeout, &app, [&]() { tcp.broadcast(boardLine()); });
            push.start();
        }
        return app.exec();
    }

    Pty pty;
    if (!pty.open()) {
        err << "halhub-devsim: cannot open a pseudo-terminal: " << strerror(errno) << Qt::endl;
        return 1;
    }
    QString shown = pty.path();
    if (parser.isSet(linkOption)) {
        const QString link = parser.value(linkOption);
        QFile::remove(link);
        if (!QFile::link(pty.path(), link)) {
            err << "halhub-devsim: cannot create the link " << link << Qt::endl;
            return 1;
        }
        shown = link;
    }
    out << (board ? "linestream board" : "SCPI power supply") << " on " << shown << Qt::endl;
    out << "pty: " << pty.path() << Qt::endl;

    QSocketNotifier readable(pty.master(), QSocketNotifier::Read);
    QObject::connect(&readable, &QSocketNotifier::activated, &app, [&]() {
        for (const QByteArray &line : pty.readLines()) {
            if (line.isEmpty())
                continue;
            const QByteArray reply = answer(line);
            if (!reply.isEmpty())
                pty.writeLine(reply);
        }
    });

    if (board) {
        QObject::connect(&push, &QTimer::timeout, &app, [&]() { pty.writeLine(boardLine()); });
        push.start();
    }
    // SIGTERM and Ctrl-C end the event loop, so the link is removed below
    // instead of pointing at a pty that is gone.
    UnixSignals unixSignals;
    QObject::connect(&unixSignals, &UnixSignals::terminate, &app, &QCoreApplication::quit);
    const int code = app.exec();
    if (parser.isSet(linkOption))
        QFile::remove(parser.value(linkOption));
    return code;
}

#pragma once

#include "device.h"
#include "modbusmap.h"
#include "serial/linesplitter.h"
#include "serial/serialsettings.h"
#include "transport/transport.h"

#include <QModbusDataUnit>
#include <QTimer>

#include <optional>

class QModbusReply;
class QModbusClient;

namespace halhub {

// A Modbus RTU slave (docs/protocol.md section 11, `modbus`), or a Modbus TCP server
// with `tcp` (section 16), through Qt SerialBus. One
// request on the line at a time: a poll cycle runs the grouped reads in
// turn and makes one sample; a command goes between two reads. A poll tick
// that finds the cycle unfinished is skipped.
class ModbusDevice final : public Device
{
    Q_OBJECT
public:
    static constexpr double MaxPollHz = 1000.0;
    static constexpr double DefaultPollHz = 1.0;
    static constexpr int ReplyTimeoutMs = 500;

    explicit ModbusDevice(const QVariantMap &config, QObject *parent = nullptr);
    ~ModbusDevice() override;

    DeviceInfo info() const override;

    void open() override;
    void close() override;

    void startCommand(quint64 ticket, const QString &command,
                      const QVariantMap &params) override;
    void abortCommand(quint64 ticket) override;

    int readsPerCycle() const { return int(m_reads.size()); }

private:
    struct Write
    {
        quint64 ticket = 0;
        QModbusDataUnit unit;
    };

    void attemptOpen();
    QModbusClient *makeClient(QString *where);
    void onConnected(const QString &where);
    void onClientError();
    void checkPresence();
    void lose(const QString &reason);
    void onPollTick();
    void pump();
    void onReadFinished(QModbusReply *reply);
    void onWriteFinished(QModbusReply *reply, quint64 ticket);
    bool track(QModbusReply *reply);
    CommandOutcome failure(QModbusReply *reply) const;

    SerialSettings m_settings;
    std::optional<TcpEndpoint> m_tcp;
    int m_unit = 1;
    double m_pollHz = DefaultPollHz;
    QList<ModbusChannel> m_channels;
    QList<ModbusRead> m_reads;

    QModbusClient *m_client = nullptr;
    QString m_path;                     // the tty, symlinks resolved
    QString m_openedPath;               // as opened
    ReconnectBackoff m_backoff;
    QTimer m_retryTimer;
    QTimer m_presenceTimer;
    QTimer m_connectTimer;              // tcp: the connect in progress
    QTimer m_pollTimer;
    bool m_wanted = false;

    QModbusReply *m_inFlight = nullptr;
    std::optional<quint64> m_inFlightTicket;  // a write; reset when aborted
    QList<Write> m_queued;
    int m_cycleRead = -1;                   // index into m_reads; -1: no cycle
    Sample m_cycleSample;
};

} // namespace halhub

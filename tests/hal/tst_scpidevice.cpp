// The scpi plugin against a scripted power supply on a pseudo-terminal.

#include "halrig.h"
#include "ptypeer.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace halhub;
using namespace Qt::StringLiterals;

namespace {

// A bench power supply: answers MEAS:VOLT?, MEAS:CURR?, *IDN? and takes
// VOLT x / OUTP x. replyDelayMs makes it slow, silent makes it mute.
class FakePsu : public QObject
{
public:
    PtyPeer pty;
    double voltage = 12.5;
    double current = 0.25;
    QByteArray output = "0";
    int replyDelayMs = 0;
    bool silent = false;
    QByteArray garbageInstead;          // sent instead of the next reply
    int outstanding = 0;
    int maxOutstanding = 0;
    int queries = 0;

    FakePsu()
    {
        pty.setLineHandler([this](const QByteArray &line) { onLine(line); });
    }

    void onLine(const QByteArray &line)
    {
        if (line.startsWith("VOLT ")) {
            voltage = line.mid(5).toDouble();
            return;
        }
        if (line.startsWith("OUTP ")) {
            output = line.mid(5);
            return;
        }
        if (!line.endsWith('?'))
            return;
        ++queries;
        maxOutstanding = std::max(maxOutstanding, ++outstanding);
        if (silent) {
            --outstanding;
            return;
        }
        QByteArray reply;
        if (line == "MEAS:VOLT?")
            reply = QByteArray::number(voltage);
        else if (line == "MEAS:CURR?")
            reply = QByteArray::number(current);
        else if (line == "OUTP?")
            reply = output;
        else if (line == "*IDN?")
            reply = "ACME,PSU-3005,42,1.0";
        else
            reply = "-113,\"Undefined header\"";
        if (!garbageInstead.isEmpty())
            reply = std::exchange(garbageInstead, QByteArray());
        auto answer = [this, reply]() {
            --outstanding;
            pty.write(reply + "\r\n");
        };
        if (replyDelayMs > 0)
            QTimer::singleShot(replyDelayMs, this, answer);
        else
            answer();
    }
};

QVariantMap psuConfig(const QString &port, double pollHz = 20)
{
    return QVariantMap{
            {u"id"_s, u"psu1"_s},
            {u"plugin"_s, u"scpi"_s},
            {u"port"_s, port},
            {u"baud"_s, 115200},
            {u"poll_hz"_s, pollHz},
            {u"channels"_s, QVariantMap{{u"voltage"_s, u"MEAS:VOLT?"_s},
                                        {u"current"_s, u"MEAS:CURR?"_s}}},
            {u"commands"_s, QVariantMap{{u"set_voltage"_s, u"VOLT {value}"_s},
                                        {u"output"_s, u"OUTP {state}"_s},
                                        {u"output_state"_s, u"OUTP?"_s}}},
    };
}

} // namespace

class tst_ScpiDevice : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void checkConfig_data();
    void checkConfig();
    void telemetryAndCommands();
    void templates_data();
    void templates();
    void slowInstrumentLowersRate();
    void silentInstrumentTimesOut();
    void abortedQueryReplyIsDiscarded();
    void unplugAndReplug();
    void garbageIsAnErrorNotACrash();
};

void tst_ScpiDevice::checkConfig_data()
{
    QTest::addColumn<QVariantMap>("change");
    QTest::addColumn<QString>("key");

    QTest::addRow("poll_hz zero") << QVariantMap{{u"poll_hz"_s, 0}} << u"poll_hz"_s;
    QTest::addRow("poll_hz text") << QVariantMap{{u"poll_hz"_s, u"fast"_s}} << u"poll_hz"_s;
    QTest::addRow("channels not an object") << QVariantMap{{u"channels"_s, 3}} << u"channels"_s;
    QTest::addRow("query not text")
            << QVariantMap{{u"channels"_s, QVariantMap{{u"v"_s, 1}}}} << u"channels.v"_s;
    QTest::addRow("template with newline")
            << QVariantMap{{u"commands"_s, QVariantMap{{u"x"_s, u"A\nB"_s}}}} << u"commands.x"_s;
    QTest::addRow("command named scpi")
            << QVariantMap{{u"commands"_s, QVariantMap{{u"scpi"_s, u"X"_s}}}} << u"commands.scpi"_s;
    QTest::addRow("no port") << QVariantMap{{u"port"_s, QVariant()}} << u"port"_s;
    QTest::addRow("parity") << QVariantMap{{u"parity"_s, u"maybe"_s}} << u"parity"_s;
}

void tst_ScpiDevice::checkConfig()
{
    QFETCH(QVariantMap, change);
    QFETCH(QString, key);
    QVariantMap config = psuConfig(u"/dev/null"_s);
    for (auto it = change.constBegin(); it != change.constEnd(); ++it) {
        if (it->isNull())
            config.remove(it.key());
        else
            config.insert(it.key(), *it);
    }
    HalRig rig;
    const QString error = rig.apply({config});
    QVERIFY2(error.contains(key + u':'), qPrintable(error));
    QVERIFY(rig.hal().devices().isEmpty());
}

void tst_ScpiDevice::telemetryAndCommands()
{
    FakePsu psu;
    QVERIFY2(psu.pty.open(), qPrintable(psu.pty.error()));
    HalRig rig;
    QCOMPARE(rig.apply({psuConfig(psu.pty.slavePath())}), QString());
    QTRY_VERIFY_WITH_TIMEOUT(rig.samples(u"psu1"_s).size() >= 3, 10000);
    QCOMPARE(rig.states(u"psu1"_s), QList<DeviceState>{DeviceState::Connected});

    const DeviceInfo info = rig.info(u"psu1"_s);
    QCOMPARE(info.port, psu.pty.slavePath());
    QCOMPARE(info.rateHz.value_or(0), 20.0);
    QVERIFY(info.channel(u"voltage"_s));
    QVERIFY(info.command(u"scpi"_s));
    QCOMPARE(info.command(u"set_voltage"_s)->params.value(0).name, u"value"_s);

    const Sample first = rig.samples(u"psu1"_s).first();
    QCOMPARE(first.values.size(), 2);
    QCOMPARE(rig.lastValue(u"psu1"_s, u"voltage"_s).toDouble(), 12.5);
    QCOMPARE(rig.lastValue(u"psu1"_s, u"current"_s).toDouble(), 0.25);
    QCOMPARE(rig.lastValue(u"psu1"_s, u"voltage"_s).typeId(), int(QMetaType::Double));

    const quint64 set = rig.command(u"psu1"_s, u"set_voltage"_s, {{u"value"_s, 5.25}});
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(set).has_value(), 10000);
    QCOMPARE(rig.outcome(set)->status, CommandOutcome::Status::Ok);
    QTRY_COMPARE_WITH_TIMEOUT(rig.lastValue(u"psu1"_s, u"voltage"_s).toDouble(), 5.25, 10000);

    const quint64 on = rig.command(u"psu1"_s, u"output"_s, {{u"state"_s, true}});
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(on).has_value(), 10000);
    const quint64 state = rig.command(u"psu1"_s, u"output_state"_s);
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(state).has_value(), 10000);
    QCOMPARE(rig.outcome(state)->result.toString(), u"1"_s);

    const quint64 idn = rig.command(u"psu1"_s, u"scpi"_s, {{u"line"_s, u"*IDN?"_s}});
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(idn).has_value(), 10000);
    QCOMPARE(rig.outcome(idn)->result.toString(), u"ACME,PSU-3005,42,1.0"_s);

    const quint64 raw = rig.command(u"psu1"_s, u"scpi"_s, {{u"line"_s, u"VOLT 7"_s}});
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(raw).has_value(), 10000);
    QCOMPARE(rig.outcome(raw)->status, CommandOutcome::Status::Ok);
    QTRY_COMPARE_WITH_TIMEOUT(psu.voltage, 7.0, 10000);

    const quint64 unknown = rig.command(u"psu1"_s, u"launch"_s);
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(unknown).has_value(), 10000);
    QCOMPARE(rig.outcome(unknown)->status, CommandOutcome::Status::Error);
    QCOMPARE(psu.maxOutstanding, 1);
    QVERIFY(rig.errors(u"psu1"_s).isEmpty());
}

void tst_ScpiDevice::templates_data()
{
    QTest::addColumn<QVariant>("value");
    QTest::addColumn<QByteArray>("written");

    QTest::addRow("integer") << QVariant(5) << QByteArray("VOLT 5");
    QTest::addRow("shortest double") << QVariant(0.1) << QByteArray("VOLT 0.1");
    QTest::addRow("whole double") << QVariant(3.0) << QByteArray("VOLT 3");
    QTest::addRow("bool") << QVariant(false) << QByteArray("VOLT 0");
    QTest::addRow("string verbatim") << QVariant(u"MAX"_s) << QByteArray("VOLT MAX");
}

void tst_ScpiDevice::templates()
{
    QFETCH(QVariant, value);
    QFETCH(QByteArray, written);
    FakePsu psu;
    QVERIFY(psu.pty.open());
    HalRig rig;
    QVariantMap config = psuConfig(psu.pty.slavePath());
    config.remove(u"channels"_s);
    QCOMPARE(rig.apply({config}), QString());
    QTRY_COMPARE_WITH_TIMEOUT(rig.states(u"psu1"_s).size(), 1, 10000);
    const quint64 ticket = rig.command(u"psu1"_s, u"set_voltage"_s, {{u"value"_s, value}});
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(ticket).has_value(), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(psu.pty.lines(), QByteArrayList{written}, 10000);
}

void tst_ScpiDevice::slowInstrumentLowersRate()
{
    FakePsu psu;
    psu.replyDelayMs = 100;             // 200 ms a cycle of two queries
    QVERIFY(psu.pty.open());
    HalRig rig;
    QCOMPARE(rig.apply({psuConfig(psu.pty.slavePath(), 50)}), QString());
    QTRY_COMPARE_WITH_TIMEOUT(rig.states(u"psu1"_s).size(), 1, 10000);
    QElapsedTimer clock;
    clock.start();
    QTRY_VERIFY_WITH_TIMEOUT(rig.samples(u"psu1"_s).size() >= 5, 20000);
    // A command still gets through between two queries of a busy poll.
    const quint64 idn = rig.command(u"psu1"_s, u"scpi"_s, {{u"line"_s, u"*IDN?"_s}});
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(idn).has_value(), 10000);
    QCOMPARE(rig.outcome(idn)->status, CommandOutcome::Status::Ok);
    const qint64 elapsed = clock.elapsed();
    // Never more than one query waiting at the instrument, and no more
    // samples than the instrument can make: the rate dropped, nothing queued.
    QCOMPARE(psu.maxOutstanding, 1);
    QVERIFY2(rig.samples(u"psu1"_s).size() <= elapsed / 200 + 2,
             qPrintable(u"%1 samples in %2 ms"_s.arg(rig.samples(u"psu1"_s).size()).arg(elapsed)));
    QVERIFY(psu.queries <= 2 * (elapsed / 100 + 2));
    QVERIFY(rig.errors(u"psu1"_s).isEmpty());
}

void tst_ScpiDevice::silentInstrumentTimesOut()
{
    FakePsu psu;
    psu.silent = true;
    QVERIFY(psu.pty.open());
    HalRig rig;
    QCOMPARE(rig.apply({psuConfig(psu.pty.slavePath(), 100)}), QString());
    QTRY_COMPARE_WITH_TIMEOUT(rig.states(u"psu1"_s).size(), 1, 10000);
    QElapsedTimer clock;
    clock.start();
    const quint64 idn = rig.command(u"psu1"_s, u"scpi"_s, {{u"line"_s, u"*IDN?"_s}});
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(idn).has_value(), 10000);
    QCOMPARE(rig.outcome(idn)->errorCode, u"no_reply"_s);
    QVERIFY(clock.elapsed() >= 450);
    QTRY_VERIFY_WITH_TIMEOUT(!rig.errors(u"psu1"_s).isEmpty(), 10000);
    QVERIFY(rig.errors(u"psu1"_s).first().contains(u"no reply"_s));
    // At 100 Hz a piling poll would have sent hundreds of queries; one at a
    // time with a 500 ms timeout sends about two a second.
    QTRY_VERIFY_WITH_TIMEOUT(clock.elapsed() > 1500, 10000);
    QVERIFY2(psu.queries <= clock.elapsed() / 450 + 2, qPrintable(QString::number(psu.queries)));
    QVERIFY(rig.samples(u"psu1"_s).isEmpty());

    // It wakes up: samples come back without any reconnect.
    psu.silent = false;
    QTRY_VERIFY_WITH_TIMEOUT(!rig.samples(u"psu1"_s).isEmpty(), 10000);
    QCOMPARE(rig.states(u"psu1"_s).size(), 1);
}

void tst_ScpiDevice::abortedQueryReplyIsDiscarded()
{
    FakePsu psu;
    psu.replyDelayMs = 200;
    QVERIFY(psu.pty.open());
    HalRig rig;
    QVariantMap config = psuConfig(psu.pty.slavePath());
    config.remove(u"channels"_s);
    QCOMPARE(rig.apply({config}), QString());
    QTRY_COMPARE_WITH_TIMEOUT(rig.states(u"psu1"_s).size(), 1, 10000);
    const quint64 first = rig.command(u"psu1"_s, u"scpi"_s, {{u"line"_s, u"*IDN?"_s}});
    QTRY_COMPARE_WITH_TIMEOUT(psu.queries, 1, 10000);
    rig.abort(u"psu1"_s, first);
    const quint64 second = rig.command(u"psu1"_s, u"output_state"_s);
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(second).has_value(), 10000);
    // The late *IDN? reply did not become the answer to OUTP?.
    QCOMPARE(rig.outcome(second)->result.toString(), u"0"_s);
    QVERIFY(!rig.outcome(first).has_value());
}

void tst_ScpiDevice::unplugAndReplug()
{
    QTemporaryDir dir;
    const QString link = dir.filePath(u"ttyPSU"_s);
    auto psu = std::make_unique<FakePsu>();
    QVERIFY(psu->pty.open());
    QVERIFY(psu->pty.linkAt(link));
    HalRig rig;
    QCOMPARE(rig.apply({psuConfig(link)}), QString());
    QTRY_VERIFY_WITH_TIMEOUT(!rig.samples(u"psu1"_s).isEmpty(), 10000);

    psu.reset();                        // the cable is pulled
    QTRY_COMPARE_WITH_TIMEOUT(rig.states(u"psu1"_s),
                              (QList<DeviceState>{DeviceState::Connected,
                                                  DeviceState::Disconnected}),
                              10000);
    QCOMPARE(rig.info(u"psu1"_s).state, DeviceState::Disconnected);
    const quint64 away = rig.command(u"psu1"_s, u"set_voltage"_s, {{u"value"_s, 1}});
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(away).has_value(), 10000);
    QCOMPARE(rig.outcome(away)->errorCode, u"device_unavailable"_s);

    psu = std::make_unique<FakePsu>();
    psu->voltage = 3.3;
    QVERIFY(psu->pty.open());
    QVERIFY(psu->pty.linkAt(link));
    QTRY_COMPARE_WITH_TIMEOUT(rig.states(u"psu1"_s).size(), 3, 15000);
    QCOMPARE(rig.states(u"psu1"_s).last(), DeviceState::Connected);
    QCOMPARE(rig.info(u"psu1"_s).port, psu->pty.slavePath());
    QTRY_COMPARE_WITH_TIMEOUT(rig.lastValue(u"psu1"_s, u"voltage"_s).toDouble(), 3.3, 10000);
}

void tst_ScpiDevice::garbageIsAnErrorNotACrash()
{
    FakePsu psu;
    QVERIFY(psu.pty.open());
    HalRig rig;
    QCOMPARE(rig.apply({psuConfig(psu.pty.slavePath())}), QString());
    QTRY_VERIFY_WITH_TIMEOUT(!rig.samples(u"psu1"_s).isEmpty(), 10000);
    // An endless line, then binary noise with newlines in it.
    psu.pty.write(QByteArray(20000, 'Z'));
    QTRY_VERIFY_WITH_TIMEOUT(!rig.errors(u"psu1"_s).isEmpty(), 10000);
    QVERIFY(rig.errors(u"psu1"_s).first().contains(u"longer than"_s));
    QByteArray noise;
    for (int i = 0; i < 4096; ++i)
        noise += char((i * 131) & 0xff);
    psu.pty.write(noise + '\n');
    psu.voltage = 9.5;
    QTRY_COMPARE_WITH_TIMEOUT(rig.lastValue(u"psu1"_s, u"voltage"_s).toDouble(), 9.5, 10000);
    QCOMPARE(rig.states(u"psu1"_s).size(), 1);
}

QTEST_GUILESS_MAIN(tst_ScpiDevice)
#include "tst_scpidevice.moc"

// The linestream plugin against a pushing board on a pseudo-terminal.

#include "halrig.h"
#include "ptypeer.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace halhub;
using namespace Qt::StringLiterals;

namespace {

QVariantMap boardConfig(const QString &port, const QVariantList &commands = {})
{
    QVariantMap config{{u"id"_s, u"ard0"_s}, {u"plugin"_s, u"linestream"_s},
                       {u"port"_s, port}, {u"baud"_s, 115200}};
    if (!commands.isEmpty())
        config.insert(u"commands"_s, commands);
    return config;
}

// A board that answers `led 1` with OK and anything else with ERR.
void answerCommands(PtyPeer &board)
{
    board.setLineHandler([&board](const QByteArray &line) {
        if (line == "led 1" || line == "led 0")
            board.writeLine("OK");
        else if (line.startsWith("read"))
            board.writeLine("OK 42");
        else
            board.writeLine("ERR unknown " + line.split(' ').first());
    });
}

} // namespace

class tst_LinestreamDevice : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void values_data();
    void values();
    void channelsGrowAsSeen();
    void commands_data();
    void commands();
    void configuredCommandsOnly();
    void answerWithoutCommandIsIgnored();
    void badData_data();
    void badData();
    void floodDoesNotStallAnotherDevice();
    void unplugAndReplug();
};

void tst_LinestreamDevice::values_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QString>("channel");
    QTest::addColumn<QVariant>("value");

    QTest::addRow("float") << QByteArray("temp=21.5,hum=40") << u"temp"_s << QVariant(21.5);
    QTest::addRow("integer") << QByteArray("temp=21.5,hum=40") << u"hum"_s
                             << QVariant::fromValue<qint64>(40);
    QTest::addRow("exponent is float") << QByteArray("x=1e3") << u"x"_s << QVariant(1000.0);
    QTest::addRow("negative") << QByteArray("x=-7") << u"x"_s << QVariant::fromValue<qint64>(-7);
    QTest::addRow("not JSON number is a string") << QByteArray("x=+5") << u"x"_s
                                                 << QVariant(u"+5"_s);
    QTest::addRow("text") << QByteArray("mode=idle") << u"mode"_s << QVariant(u"idle"_s);
    QTest::addRow("carriage return") << QByteArray("x=3\r") << u"x"_s
                                     << QVariant::fromValue<qint64>(3);
}

void tst_LinestreamDevice::values()
{
    QFETCH(QByteArray, line);
    QFETCH(QString, channel);
    QFETCH(QVariant, value);
    PtyPeer board;
    QVERIFY(board.open());
    HalRig rig;
    QCOMPARE(rig.apply({boardConfig(board.slavePath())}), QString());
    QTRY_COMPARE_WITH_TIMEOUT(rig.states(u"ard0"_s).size(), 1, 10000);
    const qint64 before = QDateTime::currentMSecsSinceEpoch() * 1000;
    board.writeLine(line);
    QTRY_COMPARE_WITH_TIMEOUT(rig.samples(u"ard0"_s).size(), 1, 10000);
    const QVariant got = rig.lastValue(u"ard0"_s, channel);
    QCOMPARE(got.typeId(), value.typeId());
    QCOMPARE(got, value);
    QVERIFY(rig.samples(u"ard0"_s).first().timestampUs >= before);
    QVERIFY(rig.errors(u"ard0"_s).isEmpty());
}

void tst_LinestreamDevice::channelsGrowAsSeen()
{
    PtyPeer board;
    QVERIFY(board.open());
    HalRig rig;
    QCOMPARE(rig.apply({boardConfig(board.slavePath())}), QString());
    QTRY_COMPARE_WITH_TIMEOUT(rig.states(u"ard0"_s).size(), 1, 10000);
    DeviceInfo info = rig.info(u"ard0"_s);
    QVERIFY(info.dynamicChannels);
    QVERIFY(info.anyCommand);
    QVERIFY(!info.rateHz.has_value());
    QCOMPARE(info.port, board.slavePath());
    QVERIFY(info.channels.isEmpty());
    QSignalSpy grew(&rig.hal(), &HalManager::deviceInfoChanged);
    board.writeLine("temp=21.5");
    board.writeLine("temp=21.6,hum=40");
    QTRY_COMPARE_WITH_TIMEOUT(rig.samples(u"ard0"_s).size(), 2, 10000);
    QCOMPARE(grew.size(), 2);
    info = rig.info(u"ard0"_s);
    QCOMPARE(info.channels.size(), 2);
    QCOMPARE(info.channel(u"hum"_s)->type, ChannelType::Int);
    QCOMPARE(info.channel(u"temp"_s)->type, ChannelType::Float);
}

void tst_LinestreamDevice::commands_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QVariantList>("args");
    QTest::addColumn<QByteArray>("written");
    QTest::addColumn<QString>("errorCode");     // empty: ok
    QTest::addColumn<QVariant>("result");

    QTest::addRow("ok") << u"led"_s << QVariantList{1} << QByteArray("led 1") << QString()
                        << QVariant();
    QTest::addRow("ok with result") << u"read"_s << QVariantList{u"a0"_s, 2.5}
                                    << QByteArray("read a0 2.5") << QString()
                                    << QVariant(u"42"_s);
    QTest::addRow("ERR is device_error") << u"fly"_s << QVariantList{} << QByteArray("fly")
                                         << u"device_error"_s << QVariant();
    QTest::addRow("blank in an arg refused") << u"led"_s << QVariantList{u"a b"_s} << QByteArray()
                                             << u"invalid_params"_s << QVariant();
    QTest::addRow("bad name refused") << u"led;reboot"_s << QVariantList{} << QByteArray()
                                      << u"unknown_command"_s << QVariant();
}

void tst_LinestreamDevice::commands()
{
    QFETCH(QString, name);
    QFETCH(QVariantList, args);
    QFETCH(QByteArray, written);
    QFETCH(QString, errorCode);
    QFETCH(QVariant, result);
    PtyPeer board;
    QVERIFY(board.open());
    answerCommands(board);
    HalRig rig;
    QCOMPARE(rig.apply({boardConfig(board.slavePath())}), QString());
    QTRY_COMPARE_WITH_TIMEOUT(rig.states(u"ard0"_s).size(), 1, 10000);
    QVariantMap params;
    if (!args.isEmpty())
        params.insert(u"args"_s, args);
    const quint64 ticket = rig.command(u"ard0"_s, name, params);
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(ticket).has_value(), 10000);
    const CommandOutcome outcome = *rig.outcome(ticket);
    if (errorCode.isEmpty()) {
        QCOMPARE(outcome.status, CommandOutcome::Status::Ok);
        QCOMPARE(outcome.result, result);
    } else {
        QCOMPARE(outcome.errorCode, errorCode);
    }
    if (written.isEmpty())
        QVERIFY(board.lines().isEmpty());
    else
        QCOMPARE(board.lines(), QByteArrayList{written});
    QCOMPARE(rig.outcomeCount(ticket), 1);
}

void tst_LinestreamDevice::configuredCommandsOnly()
{
    PtyPeer board;
    QVERIFY(board.open());
    answerCommands(board);
    HalRig rig;
    QCOMPARE(rig.apply({boardConfig(board.slavePath(), {u"led"_s})}), QString());
    QTRY_COMPARE_WITH_TIMEOUT(rig.states(u"ard0"_s).size(), 1, 10000);
    const DeviceInfo info = rig.info(u"ard0"_s);
    QVERIFY(!info.anyCommand);
    QVERIFY(info.command(u"led"_s));
    const quint64 other = rig.command(u"ard0"_s, u"read"_s);
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(other).has_value(), 10000);
    QCOMPARE(rig.outcome(other)->status, CommandOutcome::Status::Error);
    const quint64 led = rig.command(u"ard0"_s, u"led"_s, {{u"args"_s, QVariantList{0}}});
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(led).has_value(), 10000);
    QCOMPARE(rig.outcome(led)->status, CommandOutcome::Status::Ok);
    QCOMPARE(board.lines(), QByteArrayList{"led 0"});
}

void tst_LinestreamDevice::answerWithoutCommandIsIgnored()
{
    PtyPeer board;
    QVERIFY(board.open());
    HalRig rig;
    QCOMPARE(rig.apply({boardConfig(board.slavePath())}), QString());
    QTRY_COMPARE_WITH_TIMEOUT(rig.states(u"ard0"_s).size(), 1, 10000);
    board.writeLine("OK");
    board.writeLine("ERR stray");
    board.writeLine("x=1");
    QTRY_COMPARE_WITH_TIMEOUT(rig.samples(u"ard0"_s).size(), 1, 10000);
    QCOMPARE(rig.samples(u"ard0"_s).first().values.size(), 1);
    QVERIFY(rig.errors(u"ard0"_s).isEmpty());
    // An aborted command's late OK is not the next one's answer either.
    const quint64 first = rig.command(u"ard0"_s, u"led"_s, {{u"args"_s, QVariantList{1}}});
    QTRY_COMPARE_WITH_TIMEOUT(board.lines().size(), 1, 10000);
    rig.abort(u"ard0"_s, first);
    board.writeLine("OK late");
    board.writeLine("x=2");
    QTRY_COMPARE_WITH_TIMEOUT(rig.samples(u"ard0"_s).size(), 2, 10000);
    QVERIFY(!rig.outcome(first).has_value());
}

void tst_LinestreamDevice::badData_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("errorText");
    QTest::addColumn<int>("goodValues");     // values still taken from the bad line

    QTest::addRow("overlong line") << QByteArray(5000, 'a') + '\n' << u"longer than"_s << 0;
    QTest::addRow("endless line without newline") << QByteArray(70000, 'b') << u"longer than"_s
                                                  << 0;
    QTest::addRow("bad name dropped, rest kept") << QByteArray("t=1,b@d=2\n") << u"b@d"_s << 1;
    QTest::addRow("no equals") << QByteArray("hello world\n") << u"hello"_s << 0;
    QTest::addRow("invalid UTF-8 repaired") << QByteArray("s=caf\xc3\n") << u"UTF-8"_s << 1;
    QTest::addRow("binary noise") << QByteArray("\x00\x01\xfe\xff=\x80\n", 7) << u"bad line"_s
                                  << 0;
}

void tst_LinestreamDevice::badData()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, errorText);
    QFETCH(int, goodValues);
    PtyPeer board;
    QVERIFY(board.open());
    HalRig rig;
    QCOMPARE(rig.apply({boardConfig(board.slavePath())}), QString());
    QTRY_COMPARE_WITH_TIMEOUT(rig.states(u"ard0"_s).size(), 1, 10000);
    board.write(bytes);
    QTRY_VERIFY_WITH_TIMEOUT(!rig.errors(u"ard0"_s).isEmpty(), 10000);
    QVERIFY2(rig.errors(u"ard0"_s).first().contains(errorText),
             qPrintable(rig.errors(u"ard0"_s).first()));
    int taken = 0;
    for (const Sample &s : rig.samples(u"ard0"_s))
        taken += s.values.size();
    QCOMPARE(taken, goodValues);
    // The board carries on and so does the device.
    board.write("\nok=1\n");
    QTRY_COMPARE_WITH_TIMEOUT(rig.lastValue(u"ard0"_s, u"ok"_s), QVariant::fromValue<qint64>(1),
                              10000);
    QCOMPARE(rig.states(u"ard0"_s).size(), 1);
}

void tst_LinestreamDevice::floodDoesNotStallAnotherDevice()
{
    PtyPeer flood;
    PtyPeer steady;
    QVERIFY(flood.open());
    QVERIFY(steady.open());
    HalRig rig;
    QVariantMap second = boardConfig(steady.slavePath());
    second.insert(u"id"_s, u"ard1"_s);
    QCOMPARE(rig.apply({boardConfig(flood.slavePath()), second}), QString());
    QTRY_COMPARE_WITH_TIMEOUT(rig.states(u"ard0"_s).size(), 1, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(rig.states(u"ard1"_s).size(), 1, 10000);

    // The steady board ticks every 20 ms while the other pours garbage and
    // lines as fast as the pty takes them.
    int ticks = 0;
    QTimer tick;
    connect(&tick, &QTimer::timeout, this,
            [&]() { steady.writeLine("n=" + QByteArray::number(++ticks)); });
    tick.start(20);
    QTimer pour;
    int poured = 0;
    connect(&pour, &QTimer::timeout, this, [&]() {
        QByteArray chunk;
        for (int i = 0; i < 200; ++i)
            chunk += "v=" + QByteArray::number(poured++) + ",junk@=x\n";
        chunk += QByteArray(3000, '\xff');
        flood.write(chunk);
    });
    pour.start(0);
    QTRY_VERIFY_WITH_TIMEOUT(ticks >= 50, 20000);
    pour.stop();
    tick.stop();
    const int sent = ticks;
    QTRY_COMPARE_WITH_TIMEOUT(rig.samples(u"ard1"_s).size(), sent, 10000);
    // Every steady line arrived, in order, none lost behind the flood.
    qint64 expected = 1;
    for (const Sample &s : rig.samples(u"ard1"_s))
        QCOMPARE(s.values.first().value.toLongLong(), expected++);
    QVERIFY(rig.samples(u"ard0"_s).size() > 100);
    QVERIFY(!rig.errors(u"ard0"_s).isEmpty());
    QVERIFY(rig.errors(u"ard1"_s).isEmpty());
}

void tst_LinestreamDevice::unplugAndReplug()
{
    QTemporaryDir dir;
    const QString link = dir.filePath(u"ttyACM"_s);
    auto board = std::make_unique<PtyPeer>();
    QVERIFY(board->open());
    QVERIFY(board->linkAt(link));
    HalRig rig;
    QCOMPARE(rig.apply({boardConfig(link)}), QString());
    QTRY_COMPARE_WITH_TIMEOUT(rig.states(u"ard0"_s).size(), 1, 10000);
    // A command waiting for its OK when the cable goes gets its one answer.
    const quint64 waiting = rig.command(u"ard0"_s, u"led"_s, {{u"args"_s, QVariantList{1}}});
    QTRY_COMPARE_WITH_TIMEOUT(board->lines().size(), 1, 10000);
    board.reset();
    QTRY_COMPARE_WITH_TIMEOUT(rig.states(u"ard0"_s).size(), 2, 10000);
    QCOMPARE(rig.states(u"ard0"_s).last(), DeviceState::Disconnected);
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(waiting).has_value(), 10000);
    QCOMPARE(rig.outcome(waiting)->errorCode, u"device_unavailable"_s);
    QCOMPARE(rig.outcomeCount(waiting), 1);

    board = std::make_unique<PtyPeer>();
    QVERIFY(board->open());
    QVERIFY(board->linkAt(link));
    QTRY_COMPARE_WITH_TIMEOUT(rig.states(u"ard0"_s).size(), 3, 15000);
    board->writeLine("back=1");
    QTRY_COMPARE_WITH_TIMEOUT(rig.lastValue(u"ard0"_s, u"back"_s), QVariant::fromValue<qint64>(1),
                              10000);
}

QTEST_GUILESS_MAIN(tst_LinestreamDevice)
#include "tst_linestreamdevice.moc"

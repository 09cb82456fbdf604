// The serial seam on real pseudo-terminals: line splitting with a bounded
// buffer, the config keys, finding a port by USB ids, and a line that is
// unplugged and replugged.

#include "ptypeer.h"
#include "serial/linesplitter.h"
#include "serial/serialline.h"
#include "serial/serialsettings.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace halhub;
using namespace Qt::StringLiterals;

class tst_SerialLine : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void splitter_data();
    void splitter();
    void checkConfig_data();
    void checkConfig();
    void matchFindsReplugged_data();
    void matchFindsReplugged();
    void backoffDoublesToTenSeconds();
    void linesBothWays();
    void unplugAndReplug();
    void flappingLeavesNothingBehind();
    void missingPortRetriesWithoutSignals();
};

void tst_SerialLine::splitter_data()
{
    QTest::addColumn<QByteArrayList>("chunks");
    QTest::addColumn<QByteArrayList>("lines");
    QTest::addColumn<int>("overflows");

    QTest::addRow("one line") << QByteArrayList{"a=1\n"} << QByteArrayList{"a=1"} << 0;
    QTest::addRow("carriage return dropped") << QByteArrayList{"OK\r\n"} << QByteArrayList{"OK"} << 0;
    QTest::addRow("split across reads") << QByteArrayList{"te", "mp=2", "1.5\nx"}
                                        << QByteArrayList{"temp=21.5"} << 0;
    QTest::addRow("several in one read") << QByteArrayList{"a\nb\n\nc\n"}
                                         << QByteArrayList{"a", "b", "", "c"} << 0;
    QTest::addRow("endless line is bounded")
            << QByteArrayList{QByteArray(3000, 'x'), QByteArray(3000, 'x'), QByteArray(9000, 'y'),
                              "z\nok\n"}
            << QByteArrayList{"ok"} << 1;
    QTest::addRow("overlong line ending in the same read")
            << QByteArrayList{QByteArray(5000, 'x') + "\nnext\n"} << QByteArrayList{"next"} << 1;
    QTest::addRow("exactly the limit passes")
            << QByteArrayList{QByteArray(16, 'x') + "\n"} << QByteArrayList{QByteArray(16, 'x')}
            << 0;
}

void tst_SerialLine::splitter()
{
    QFETCH(QByteArrayList, chunks);
    QFETCH(QByteArrayList, lines);
    QFETCH(int, overflows);
    // A 16-byte limit makes the boundary row cheap; the big rows use 4096.
    LineSplitter splitter(qstrcmp(QTest::currentDataTag(), "exactly the limit passes") == 0
                                  ? 16 : 4096);
    QByteArrayList got;
    for (const QByteArray &chunk : chunks) {
        got += splitter.feed(chunk);
        QVERIFY(splitter.buffered() <= 4096);
    }
    QCOMPARE(got, lines);
    QCOMPARE(splitter.takeOverflows(), overflows);
}

void tst_SerialLine::checkConfig_data()
{
    QTest::addColumn<QVariantMap>("config");
    QTest::addColumn<QString>("keyInError");   // empty: valid

    QTest::addRow("port") << QVariantMap{{u"port"_s, u"/dev/ttyUSB0"_s}, {u"baud"_s, 115200}} << QString();
    QTest::addRow("match vid pid")
            << QVariantMap{{u"match"_s, QVariantMap{{u"vid"_s, u"2341"_s}, {u"pid"_s, u"0043"_s}}}} << QString();
    QTest::addRow("all line settings")
            << QVariantMap{{u"port"_s, u"/dev/ttyS0"_s}, {u"parity"_s, u"even"_s}, {u"stopbits"_s, 2},
                           {u"databits"_s, 7}, {u"flow"_s, u"hardware"_s}}
            << QString();
    QTest::addRow("neither port nor match") << QVariantMap{{u"baud"_s, 9600}} << u"port"_s;
    QTest::addRow("both") << QVariantMap{{u"port"_s, u"/dev/x"_s}, {u"match"_s, QVariantMap{{u"vid"_s, u"2341"_s}}}}
                          << u"match"_s;
    QTest::addRow("port not a string") << QVariantMap{{u"port"_s, 3}} << u"port"_s;
    QTest::addRow("vid not hex") << QVariantMap{{u"match"_s, QVariantMap{{u"vid"_s, u"23x1"_s}}}}
                                 << u"match.vid"_s;
    QTest::addRow("unknown match key") << QVariantMap{{u"match"_s, QVariantMap{{u"product"_s, u"x"_s}}}}
                                       << u"match.product"_s;
    QTest::addRow("baud text") << QVariantMap{{u"port"_s, u"/dev/x"_s}, {u"baud"_s, u"fast"_s}} << u"baud"_s;
    QTest::addRow("baud zero") << QVariantMap{{u"port"_s, u"/dev/x"_s}, {u"baud"_s, 0}} << u"baud"_s;
    QTest::addRow("parity") << QVariantMap{{u"port"_s, u"/dev/x"_s}, {u"parity"_s, u"weird"_s}} << u"parity"_s;
    QTest::addRow("stopbits") << QVariantMap{{u"port"_s, u"/dev/x"_s}, {u"stopbits"_s, 3}} << u"stopbits"_s;
    QTest::addRow("flow") << QVariantMap{{u"port"_s, u"/dev/x"_s}, {u"flow"_s, u"xon"_s}} << u"flow"_s;
}

void tst_SerialLine::checkConfig()
{
    QFETCH(QVariantMap, config);
    QFETCH(QString, keyInError);
    const QString error = SerialSettings::check(config);
    if (keyInError.isEmpty())
        QVERIFY2(error.isEmpty(), qPrintable(error));
    else
        QVERIFY2(error.startsWith(keyInError + QLatin1Char(':'))
                         || error.contains(keyInError + QLatin1Char(':')),
                 qPrintable(error));
}

void tst_SerialLine::matchFindsReplugged_data()
{
    QTest::addColumn<QVariantMap>("match");
    QTest::addColumn<QString>("expected");

    QTest::addRow("vid and pid, any case") << QVariantMap{{u"vid"_s, u"2341"_s}, {u"pid"_s, u"0043"_s}}
                                           << "/dev/ttyACM3";
    QTest::addRow("serial picks the second board") << QVariantMap{{u"serial"_s, u"B2"_s}}
                                                   << "/dev/ttyUSB7";
    QTest::addRow("no such board") << QVariantMap{{u"vid"_s, u"dead"_s}} << QString();
}

void tst_SerialLine::matchFindsReplugged()
{
    QFETCH(QVariantMap, match);
    QFETCH(QString, expected);
    // The same boards after a replug: new names, same ids.
    const QList<PortDescription> ports{
            {u"/dev/ttyS0"_s, {}, {}, {}},
            {u"/dev/ttyACM3"_s, u"2341"_s, u"0043"_s, u"A1"_s},
            {u"/dev/ttyUSB7"_s, u"0403"_s, u"6001"_s, u"B2"_s},
    };
    const QVariantMap config{{u"match"_s, match}};
    QVERIFY(SerialSettings::check(config).isEmpty());
    QCOMPARE(SerialSettings::fromConfig(config).resolve(ports), expected);
}

void tst_SerialLine::backoffDoublesToTenSeconds()
{
    ReconnectBackoff backoff;
    QList<int> delays;
    for (int i = 0; i < 8; ++i)
        delays << backoff.next();
    QCOMPARE(delays, (QList<int>{500, 1000, 2000, 4000, 8000, 10000, 10000, 10000}));
    backoff.reset();
    QCOMPARE(backoff.next(), 500);
}

void tst_SerialLine::linesBothWays()
{
    PtyPeer peer;
    QVERIFY2(peer.open(), qPrintable(peer.error()));
    SerialSettings settings;
    settings.port = peer.slavePath();
    settings.baud = 115200;
    SerialLine line(settings);
    QSignalSpy opened(&line, &SerialLine::opened);
    QSignalSpy lines(&line, &SerialLine::lineReceived);
    line.open();
    QTRY_COMPARE_WITH_TIMEOUT(opened.size(), 1, 10000);
    QCOMPARE(opened.at(0).at(0).toString(), peer.slavePath());
    QCOMPARE(line.portPath(), peer.slavePath());

    QVERIFY(line.write("*IDN?\n"));
    QTRY_COMPARE_WITH_TIMEOUT(peer.lines(), QByteArrayList{"*IDN?"}, 10000);
    peer.write("ACME,PSU,1\r\nte");
    peer.write("mp=21.5\n");
    QTRY_COMPARE_WITH_TIMEOUT(lines.size(), 2, 10000);
    QCOMPARE(lines.at(0).at(0).toByteArray(), QByteArray("ACME,PSU,1"));
    QCOMPARE(lines.at(1).at(0).toByteArray(), QByteArray("temp=21.5"));
}

void tst_SerialLine::unplugAndReplug()
{
    QTemporaryDir dir;
    const QString link = dir.filePath(QStringLiteral("ttyPSU"));
    PtyPeer first;
    QVERIFY(first.open());
    QVERIFY(first.linkAt(link));

    SerialSettings settings;
    settings.port = link;
    SerialLine line(settings);
    QSignalSpy opened(&line, &SerialLine::opened);
    QSignalSpy lost(&line, &SerialLine::lost);
    line.open();
    QTRY_COMPARE_WITH_TIMEOUT(opened.size(), 1, 10000);
    QCOMPARE(line.portPath(), first.slavePath());

    first.unplug();
    QTRY_COMPARE_WITH_TIMEOUT(lost.size(), 1, 10000);
    QVERIFY(!line.isOpen());
    QVERIFY(!line.write("x\n"));
    QCOMPARE(line.pendingRetryMs(), 500);

    PtyPeer second;
    QVERIFY(second.open());
    QVERIFY(second.linkAt(link));
    QTRY_COMPARE_WITH_TIMEOUT(opened.size(), 2, 15000);
    QCOMPARE(line.portPath(), second.slavePath());
    QCOMPARE(lost.size(), 1);
    QVERIFY(line.write("back\n"));
    QTRY_COMPARE_WITH_TIMEOUT(second.lines(), QByteArrayList{"back"}, 10000);
}

void tst_SerialLine::flappingLeavesNothingBehind()
{
    QTemporaryDir dir;
    const QString link = dir.filePath(QStringLiteral("ttyFlap"));
    SerialSettings settings;
    settings.port = link;
    SerialLine line(settings);
    QSignalSpy opened(&line, &SerialLine::opened);
    QSignalSpy lost(&line, &SerialLine::lost);
    QSignalSpy errors(&line, &SerialLine::dataError);

    auto peer = std::make_unique<PtyPeer>();
    QVERIFY(peer->open());
    QVERIFY(peer->linkAt(link));
    line.open();
    constexpr int flaps = 5;
    for (int i = 1; i <= flaps; ++i) {
        QTRY_COMPARE_WITH_TIMEOUT(opened.size(), i, 15000);
        peer->write(QByteArray(100, 'x'));      // half a line left behind
        peer->unplug();
        QTRY_COMPARE_WITH_TIMEOUT(lost.size(), i, 10000);
        peer = std::make_unique<PtyPeer>();
        QVERIFY(peer->open());
        QVERIFY(peer->linkAt(link));
    }
    QTRY_COMPARE_WITH_TIMEOUT(opened.size(), flaps + 1, 15000);
    // One signal per transition, and no fragment of an old line glued to a new one.
    QCOMPARE(lost.size(), flaps);
    QSignalSpy lines(&line, &SerialLine::lineReceived);
    peer->write("fresh\n");
    QTRY_COMPARE_WITH_TIMEOUT(lines.size(), 1, 10000);
    QCOMPARE(lines.at(0).at(0).toByteArray(), QByteArray("fresh"));
    QCOMPARE(errors.size(), 0);
}

void tst_SerialLine::missingPortRetriesWithoutSignals()
{
    SerialSettings settings;
    settings.matchVid = QStringLiteral("2341");
    SerialLine line(settings);
    QList<PortDescription> ports;
    line.setPortLister([&ports]() { return ports; });
    QSignalSpy opened(&line, &SerialLine::opened);
    QSignalSpy lost(&line, &SerialLine::lost);
    line.open();
    QCOMPARE(line.openAttempts(), 1);
    QCOMPARE(line.pendingRetryMs(), 500);
    QTRY_COMPARE_WITH_TIMEOUT(line.openAttempts(), 2, 10000);
    QCOMPARE(line.pendingRetryMs(), 1000);

    // The board shows up under a name no config mentions.
    PtyPeer peer;
    QVERIFY(peer.open());
    ports << PortDescription{peer.slavePath(), u"2341"_s, u"0043"_s, u"X"_s};
    QTRY_COMPARE_WITH_TIMEOUT(opened.size(), 1, 15000);
    QCOMPARE(line.portPath(), peer.slavePath());
    QCOMPARE(lost.size(), 0);
}

QTEST_GUILESS_MAIN(tst_SerialLine)
#include "tst_serialline.moc"

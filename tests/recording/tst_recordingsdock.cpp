// The Recordings dock: Record starts a recording of every device, the table
// shows it running with its devices, Stop ends it, and a refusal is shown.

#include "fakebus.h"
#include "recording/recorder.h"
#include "recordingsdock.h"

#include <QAction>
#include <QLabel>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace halhub;

class TstRecordingsDock : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void recordAndStop();
    void refusalIsShown();
};

void TstRecordingsDock::recordAndStop()
{
    QTemporaryDir dir;
    FakeBus bus;
    bus.add(FakeBus::connectedDevice(QStringLiteral("a"), {QStringLiteral("x")}));
    bus.add(FakeBus::connectedDevice(QStringLiteral("b"), {QStringLiteral("x")}));
    Recorder recorder(&bus, dir.path());
    RecordingsDock dock(&recorder);
    QCOMPARE(dock.table()->rowCount(), 0);
    QVERIFY(!dock.stopAction()->isEnabled());

    dock.recordAction()->trigger();
    QCOMPARE(recorder.running().size(), 1);
    QCOMPARE(dock.table()->rowCount(), 1);
    QCOMPARE(dock.table()->item(0, RecordingsDock::StateColumn)->text(), QStringLiteral("recording"));
    QCOMPARE(dock.table()->item(0, RecordingsDock::DevicesColumn)->text(), QStringLiteral("a, b"));
    QVERIFY(dock.table()->item(0, RecordingsDock::NameColumn)->text().startsWith(QStringLiteral("halhub-")));
    QVERIFY(dock.stopAction()->isEnabled());

    for (int i = 0; i < 10; ++i)
        bus.emitSample(Sample{QStringLiteral("a"), 1000 + i, {ChannelValue{QStringLiteral("x"), 1.0}}});
    dock.stopAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(recorder.running().isEmpty(), 5000);
    QTRY_COMPARE_WITH_TIMEOUT(dock.table()->item(0, RecordingsDock::StateColumn)->text(), QStringLiteral("finished"), 5000);
    QVERIFY(!dock.table()->item(0, RecordingsDock::SizeColumn)->text().isEmpty());
    QVERIFY(!dock.stopAction()->isEnabled());
}

void TstRecordingsDock::refusalIsShown()
{
    QTemporaryDir dir;
    QFile plain(dir.filePath(QStringLiteral("plain")));
    QVERIFY(plain.open(QIODevice::WriteOnly));
    plain.close();
    FakeBus bus;
    Recorder recorder(&bus, dir.filePath(QStringLiteral("plain/sub")));
    RecordingsDock dock(&recorder);
    dock.show();
    QVERIFY(!dock.record());
    auto *message = dock.findChild<QLabel *>(QStringLiteral("recordingMessage"));
    QVERIFY(message && message->isVisible());
    QVERIFY2(message->text().contains(QStringLiteral("plain/sub")), qPrintable(message->text()));
}

QTEST_MAIN(TstRecordingsDock)
#include "tst_recordingsdock.moc"

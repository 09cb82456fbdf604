// Runs the fuzz targets' entry points in the ordinary build: every file of
// the committed corpus and regressions, then random and mutated inputs for a
// few seconds. A crash, a hang or a broken invariant fails the suite.

#include "fuzzentry.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QTest>

namespace {

QList<QByteArray> filesUnder(const QString &dir)
{
    QList<QByteArray> out;
    QDir d(QStringLiteral(FUZZ_DIR "/") + dir);
    const QStringList names = d.entryList(QDir::Files);
    for (const QString &name : names) {
        QFile f(d.filePath(name));
        if (f.open(QIODevice::ReadOnly))
            out.append(f.readAll());
    }
    return out;
}

void everyTarget(const QByteArray &input)
{
    const auto *data = reinterpret_cast<const uint8_t *>(input.constData());
    halhub::fuzz::frameDecoder(data, size_t(input.size()));
    halhub::fuzz::requestValidator(data, size_t(input.size()));
    halhub::fuzz::webSocketReader(data, size_t(input.size()));
}

} // namespace

class tst_FuzzReplay : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void corpus_data();
    void corpus();
    void randomInputs();
};

void tst_FuzzReplay::corpus_data()
{
    QTest::addColumn<QString>("dir");
    QTest::addRow("frame decoder corpus") << "corpus/framedecoder";
    QTest::addRow("request validator corpus") << "corpus/requestvalidator";
    QTest::addRow("websocket reader corpus") << "corpus/websocketreader";
    QTest::addRow("regressions") << "regressions";
}

void tst_FuzzReplay::corpus()
{
    QFETCH(QString, dir);
    const QList<QByteArray> inputs = filesUnder(dir);
    QVERIFY2(!inputs.isEmpty(), qPrintable(dir));
    for (const QByteArray &input : inputs)
        everyTarget(input);
}

void tst_FuzzReplay::randomInputs()
{
    const QList<QByteArray> seeds = filesUnder(QStringLiteral("corpus/requestvalidator"))
        + filesUnder(QStringLiteral("corpus/websocketreader"));
    QVERIFY(!seeds.isEmpty());
    const quint32 seed = QRandomGenerator::global()->generate();
    qInfo("random seed %u", seed);
    QRandomGenerator random(seed);
    QElapsedTimer t;
    t.start();
    qint64 runs = 0;
    while (t.elapsed() < 3000) {
        QByteArray input;
        if (random.bounded(4) == 0) {
            input.resize(random.bounded(512));
            for (char &c : input)
                c = char(random.bounded(256));
        } else {
            input = seeds.at(random.bounded(seeds.size()));
            const int edits = 1 + random.bounded(8);
            for (int i = 0; i < edits && !input.isEmpty(); ++i) {
                const int at = random.bounded(input.size());
                switch (random.bounded(4)) {
                case 0: input[at] = char(random.bounded(256)); break;
                case 1: input.truncate(at + 1); break;
                case 2: input.insert(at, char(random.bounded(256))); break;
                default: input.insert(at, input.mid(at, random.bounded(64))); break;
                }
            }
        }
        everyTarget(input);
        ++runs;
    }
    qInfo("%lld inputs", runs);
    QVERIFY(runs > 100);
}

QTEST_GUILESS_MAIN(tst_FuzzReplay)
#include "tst_fuzzreplay.moc"

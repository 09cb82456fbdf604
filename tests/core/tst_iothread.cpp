// IoThread: what a connection queues reaches its socket in the order it was
// queued, however the thread batches it, threaded or on the main loop.
#include "net/iothread.h"
#include "net/socketchannel.h"

#include <QMutex>
#include <QMutexLocker>
#include <QTest>

#include <atomic>
#include <initializer_list>
#include <memory>

using namespace halhub;

namespace {

// A channel that writes down what it was asked to do, in its own thread.
class RecordingChannel final : public SocketChannel
{
public:
    // At its deletion the channel leaves its calls in *last, then counts
    // itself in *deleted.
    RecordingChannel(QStringList *last = nullptr, std::atomic<int> *deleted = nullptr)
        : SocketChannel(std::make_shared<ChannelState>())
        , m_last(last)
        , m_deleted(deleted)
    {
    }
    ~RecordingChannel() override
    {
        if (m_last)
            *m_last = m_calls;
        if (m_deleted)
            ++*m_deleted;
    }

    void writeFrame(const EncodedFrame &frame) override { note(QString::fromLatin1(frame.bytes)); }
    void writeFrames(const EncodedFrame *const *frames, size_t count) override
    {
        QStringList joined;
        for (size_t i = 0; i < count; ++i)
            joined.append(QString::fromLatin1(frames[i]->bytes));
        // One call for several frames shows as one entry.
        note(joined.join(QLatin1Char('+')));
    }
    void ping() override { note(QStringLiteral("ping")); }
    void close(int code, const QString &) override { note(QStringLiteral("close %1").arg(code)); }
    void start() override { note(QStringLiteral("start")); }

    QStringList calls() const
    {
        QMutexLocker lock(&m_mutex);
        return m_calls;
    }

private:
    void note(const QString &call)
    {
        QMutexLocker lock(&m_mutex);
        m_calls.append(call);
    }

    mutable QMutex m_mutex;
    QStringList m_calls;
    QStringList *m_last = nullptr;
    std::atomic<int> *m_deleted = nullptr;
};

QStringList strings(std::initializer_list<const char *> items)
{
    QStringList list;
    for (const char *item : items)
        list.append(QLatin1String(item));
    return list;
}

EncodedFrame frame(const char *text)
{
    return {QByteArray(text), false};
}

} // namespace

class tst_IoThread : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void framesOfOneTurnAreOneWrite();
    void otherRequestsKeepTheirPlace();
    void releaseComesAfterTheFrames();
    void largeFanOutReachesEveryChannelInOrder();
    void unthreadedIsDoneAtOnce();
    void poolServesTheFirstConnectionsDirectly();
    void unthreadedWithManySocketsBatches();
};

void tst_IoThread::framesOfOneTurnAreOneWrite()
{
    IoThread io(true);
    auto *channel = new RecordingChannel;
    io.adopt(channel);
    io.writeFrame(channel, frame("a"));
    io.writeFrame(channel, frame("b"));
    io.writeFrame(channel, frame("c"));
    QTRY_COMPARE(channel->calls(), strings({"start", "a+b+c"}));
    // A single frame later is a plain write.
    io.writeFrame(channel, frame("d"));
    QTRY_COMPARE(channel->calls(), strings({"start", "a+b+c", "d"}));
    io.release(channel);
}

void tst_IoThread::otherRequestsKeepTheirPlace()
{
    IoThread io(true);
    auto *first = new RecordingChannel;
    auto *second = new RecordingChannel;
    io.adopt(first);
    io.adopt(second);
    io.writeFrame(first, frame("1a"));
    io.writeFrame(second, frame("2a"));
    io.writeFrame(first, frame("1b"));
    io.ping(first);
    io.writeFrame(first, frame("1c"));
    io.writeFrame(second, frame("2b"));
    io.close(first, 1000, QString());
    io.writeFrame(second, frame("2c"));
    // Frames queued before a ping or a close go out before it, those after
    // it after it; another connection's frames are not held up by either.
    QTRY_COMPARE(first->calls(), strings({"start", "1a+1b", "ping", "1c", "close 1000"}));
    QTRY_COMPARE(second->calls(), strings({"start", "2a+2b+2c"}));
    io.release(first);
    io.release(second);
}

void tst_IoThread::releaseComesAfterTheFrames()
{
    std::atomic<int> deleted{0};
    QStringList seen;
    IoThread io(true);
    auto *channel = new RecordingChannel(&seen, &deleted);
    io.adopt(channel);
    io.writeFrame(channel, frame("x"));
    io.writeFrame(channel, frame("y"));
    io.release(channel);
    QTRY_COMPARE(deleted.load(), 1);
    QCOMPARE(seen, strings({"start", "x+y"}));
}

void tst_IoThread::largeFanOutReachesEveryChannelInOrder()
{
    // A thousand connections, three samples fanned out in one event: the
    // thread starts before the fan-out is done, yet every connection gets
    // its three frames, in order, whatever the cut between turns.
    IoThread io(true);
    std::vector<RecordingChannel *> channels;
    for (int i = 0; i < 1000; ++i) {
        channels.push_back(new RecordingChannel);
        io.adopt(channels.back());
    }
    for (const char *sample : {"s1", "s2", "s3"}) {
        for (RecordingChannel *channel : channels)
            io.writeFrame(channel, frame(sample));
    }
    for (RecordingChannel *channel : channels) {
        QTRY_COMPARE(channel->calls().join(QLatin1Char('+')), QStringLiteral("start+s1+s2+s3"));
    }
    for (RecordingChannel *channel : channels)
        io.release(channel);
}

void tst_IoThread::unthreadedIsDoneAtOnce()
{
    // The main thread's share: each request is done before the call
    // returns, in the caller's thread, without an event loop turn.
    std::atomic<int> deleted{0};
    QStringList seen;
    IoThread io(false);
    auto *channel = new RecordingChannel(&seen, &deleted);
    io.adopt(channel);
    io.writeFrame(channel, frame("a"));
    io.writeFrame(channel, frame("b"));
    QCOMPARE(channel->calls(), strings({"start", "a", "b"}));
    io.ping(channel);
    io.close(channel, 1001, QString());
    QCOMPARE(channel->calls(), strings({"start", "a", "b", "ping", "close 1001"}));
    io.release(channel);
    QCOMPARE(deleted.load(), 1);
    QCOMPARE(seen, strings({"start", "a", "b", "ping", "close 1001"}));
}

void tst_IoThread::poolServesTheFirstConnectionsDirectly()
{
    IoThreadPool pool(2);
    std::vector<std::pair<IoThread *, RecordingChannel *>> open;
    for (int i = 0; i < IoThread::kDirectChannels + 2; ++i) {
        IoThread *io = pool.next();
        auto *channel = new RecordingChannel;
        io->adopt(channel);
        open.emplace_back(io, channel);
    }
    // The first few share one IoThread that writes at once; the others go
    // to the two threads in turn.
    IoThread *direct = open.front().first;
    for (int i = 0; i < IoThread::kDirectChannels; ++i) {
        QCOMPARE(open[size_t(i)].first, direct);
        QCOMPARE(open[size_t(i)].second->calls(), strings({"start"}));
    }
    IoThread *first = open[size_t(IoThread::kDirectChannels)].first;
    IoThread *second = open[size_t(IoThread::kDirectChannels) + 1].first;
    QVERIFY(first != direct && second != direct && first != second);
    // A direct connection that goes makes room for the next one.
    direct->release(open.front().second);
    open.erase(open.begin());
    QCOMPARE(pool.next(), direct);
    for (auto &[io, channel] : open)
        io->release(channel);
}

void tst_IoThread::unthreadedWithManySocketsBatches()
{
    // With more sockets than a handful (io_threads: 0 and many clients)
    // the caller's thread writes them once its event is handled, batched,
    // and in order; with a handful again, at once.
    IoThread io(false);
    std::vector<RecordingChannel *> channels;
    for (int i = 0; i <= IoThread::kDirectChannels; ++i) {
        channels.push_back(new RecordingChannel);
        io.adopt(channels.back());
    }
    RecordingChannel *last = channels.back();
    QCOMPARE(last->calls(), QStringList());
    io.writeFrame(last, frame("a"));
    io.writeFrame(last, frame("b"));
    QCOMPARE(last->calls(), QStringList());
    QTRY_COMPARE(last->calls(), strings({"start", "a+b"}));
    io.release(last);
    channels.pop_back();
    QTRY_COMPARE(io.channelCount(), IoThread::kDirectChannels);
    io.writeFrame(channels.front(), frame("c"));
    QCOMPARE(channels.front()->calls().last(), QStringLiteral("c"));
    for (RecordingChannel *channel : channels)
        io.release(channel);
}

QTEST_GUILESS_MAIN(tst_IoThread)
#include "tst_iothread.moc"

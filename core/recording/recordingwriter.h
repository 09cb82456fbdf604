#pragma once

#include "bus/deviceinfo.h"
#include "recording/h5util.h"

#include <QString>

#include <optional>
#include <vector>

namespace halhub {

// What a recording keeps of one device, as its group's attributes say it.
struct RecordedDevice
{
    QString id;
    QString plugin;
    QString name;
    QString node;                       // empty: a local device
    std::optional<double> rateHz;
    QList<ChannelInfo> channels;
};

// One channel value waiting to be written. `channel` indexes the channels
// of all devices in order (device 0's channels first); `sampleStart` marks
// the first value of a device sample, so samples are counted as written.
struct QueuedValue
{
    qint64 ts = 0;
    qint64 bits = 0;                    // int64, bool (0/1) or a double's bits
    QString text;                       // string channels
    qint32 channel = 0;
    qint32 device = 0;
    bool sampleStart = false;
};

// The file of one recording in the layout of docs/protocol.md section 15,
// used from one thread at a time (the recording's writer). Every group and
// dataset is made by create(), before the file goes into SWMR mode: a
// reader may open it from then on, and after a crash it holds what the last
// flush() wrote.
class RecordingWriter
{
public:
    static constexpr hsize_t kChunk = 4096;

    RecordingWriter() = default;
    ~RecordingWriter();
    RecordingWriter(const RecordingWriter &) = delete;
    RecordingWriter &operator=(const RecordingWriter &) = delete;

    // Creates the file (an existing one is not touched: error).
    bool create(const QString &path, const QList<RecordedDevice> &devices, qint64 startedUs,
                QString *error);
    // Appends values to their channels' datasets. Counts into samples[device].
    bool append(const std::vector<QueuedValue> &values, std::vector<qint64> *samples,
                QString *error);
    // Makes what was appended visible to readers and durable after a crash.
    bool flush(QString *error);
    qint64 fileSize() const;
    // Closes the file and stamps `ended` (reopened outside SWMR mode).
    bool finish(qint64 endedUs, QString *error);

    // A device id or channel name as an HDF5 link name: '/' cannot be in
    // one, so '%' and '/' are escaped as %25 and %2F ("." as %2E).
    // Closes whatever create() opened; created(): whether it made the file.
    void abandon();
    bool created() const { return m_created; }

    static QString linkName(const QString &name);
    static QString fromLinkName(const QString &link);

private:
    struct Channel
    {
        ChannelType type = ChannelType::Float;
        h5::Handle ts;
        h5::Handle value;
        hsize_t size = 0;
        // Values of the batch being appended.
        std::vector<qint64> pendingTs;
        std::vector<double> pendingFloat;
        std::vector<qint64> pendingInt;
        std::vector<quint8> pendingBool;
        std::vector<QByteArray> pendingText;
    };

    bool fail(QString *error, const QString &what);
    bool writeChannel(Channel &channel);

    QString m_path;
    bool m_created = false;
    h5::Handle m_file;
    h5::Handle m_stringType;
    std::vector<Channel> m_channels;
};

} // namespace halhub

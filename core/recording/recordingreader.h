#pragma once

#include "recording/h5util.h"
#include "recording/recordingwriter.h"

#include <QStringList>
#include <QVariant>

#include <optional>
#include <vector>

namespace halhub {

// What a recording's attributes say (docs/protocol.md section 15).
struct RecordingHeader
{
    QString version;                    // the `halhub` attribute
    qint64 startedUs = 0;
    std::optional<qint64> endedUs;      // none: still written, or cut short
    QList<RecordedDevice> devices;      // in the file's order
};

// The recorded samples of one channel: times and values of its type.
struct ChannelData
{
    ChannelInfo info;
    std::vector<qint64> ts;
    std::vector<double> floats;
    std::vector<qint64> ints;
    std::vector<quint8> bools;
    QStringList strings;

    size_t size() const { return ts.size(); }
    QVariant valueAt(size_t i) const;
};

// Reads a recording: one being written (SWMR), one left by a crash, or a
// finished one. Everything is checked; a file that is not a halhub
// recording, or lacks what is asked for, gives a clear error, never a crash.
class RecordingReader
{
public:
    RecordingReader() = default;
    ~RecordingReader();
    RecordingReader(const RecordingReader &) = delete;
    RecordingReader &operator=(const RecordingReader &) = delete;

    bool open(const QString &path, QString *error);
    const RecordingHeader &header() const { return m_header; }
    const RecordedDevice *device(const QString &id) const;
    // Every channel of the device, in its order, with all its samples.
    bool readDevice(const QString &id, std::vector<ChannelData> *channels, QString *error);

private:
    QString m_path;
    h5::Handle m_file;
    RecordingHeader m_header;
};

} // namespace halhub

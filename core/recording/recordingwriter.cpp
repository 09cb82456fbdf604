#include "recording/recordingwriter.h"

#include <QFileInfo>

#include <cstring>

namespace halhub {

namespace {

constexpr hsize_t kUnlimited = H5S_UNLIMITED;

h5::Handle makeGroup(hid_t parent, const QString &name)
{
    // Creation order is tracked so a reader lists channels in the device's order.
    h5::Handle gcpl = h5::plist(H5Pcreate(H5P_GROUP_CREATE));
    H5Pset_link_creation_order(gcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    return h5::group(H5Gcreate2(parent, name.toUtf8().constData(), H5P_DEFAULT, gcpl.get(),
                                H5P_DEFAULT));
}

h5::Handle makeDataset(hid_t parent, const char *name, hid_t type)
{
    const hsize_t dims[1] = {0};
    const hsize_t maxDims[1] = {kUnlimited};
    h5::Handle s = h5::space(H5Screate_simple(1, dims, maxDims));
    h5::Handle dcpl = h5::plist(H5Pcreate(H5P_DATASET_CREATE));
    const hsize_t chunk[1] = {RecordingWriter::kChunk};
    H5Pset_chunk(dcpl.get(), 1, chunk);
    return h5::dataset(H5Dcreate2(parent, name, type, s.get(), H5P_DEFAULT, dcpl.get(),
                                  H5P_DEFAULT));
}

hid_t fileTypeOf(ChannelType type, hid_t stringType)
{
    switch (type) {
    case ChannelType::Float: return H5T_IEEE_F64LE;
    case ChannelType::Int: return H5T_STD_I64LE;
    case ChannelType::Bool: return H5T_STD_U8LE;
    case ChannelType::String: return stringType;
    }
    return H5T_IEEE_F64LE;
}

// Appends count elements of memType from data to a 1-D dataset of size `at`.
bool extendAndWrite(hid_t dataset, hsize_t at, hsize_t count, hid_t memType, const void *data)
{
    const hsize_t newSize[1] = {at + count};
    if (H5Dset_extent(dataset, newSize) < 0)
        return false;
    h5::Handle fileSpace = h5::space(H5Dget_space(dataset));
    const hsize_t start[1] = {at};
    const hsize_t n[1] = {count};
    if (H5Sselect_hyperslab(fileSpace.get(), H5S_SELECT_SET, start, nullptr, n, nullptr) < 0)
        return false;
    h5::Handle memSpace = h5::space(H5Screate_simple(1, n, nullptr));
    return H5Dwrite(dataset, memType, memSpace.get(), fileSpace.get(), H5P_DEFAULT, data) >= 0;
}

} // namespace

RecordingWriter::~RecordingWriter() = default;

QString RecordingWriter::linkName(const QString &name)
{
    if (name == QLatin1String("."))
        return QStringLiteral("%2E");
    QString link = name;
    link.replace(QLatin1Char('%'), QLatin1String("%25"));
    link.replace(QLatin1Char('/'), QLatin1String("%2F"));
    return link;
}

QString RecordingWriter::fromLinkName(const QString &link)
{
    if (link == QLatin1String("%2E"))
        return QStringLiteral(".");
    QString name = link;
    name.replace(QLatin1String("%2F"), QLatin1String("/"));
    name.replace(QLatin1String("%25"), QLatin1String("%"));
    return name;
}

bool RecordingWriter::fail(QString *error, const QString &what)
{
    const QString reason = h5::lastError();
    *error = reason.isEmpty() ? what : QStringLiteral("%1: %2").arg(what, reason);
    return false;
}

bool RecordingWriter::create(const QString &path, const QList<RecordedDevice> &devices,
                             qint64 startedUs, QString *error)
{
    h5::silenceErrorStack();
    m_path = path;
    h5::Handle fapl = h5::plist(H5Pcreate(H5P_FILE_ACCESS));
    // SWMR needs the latest file format.
    H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
    m_file = h5::file(H5Fcreate(path.toUtf8().constData(), H5F_ACC_EXCL, H5P_DEFAULT, fapl.get()));
    if (!m_file)
        return fail(error, QStringLiteral("cannot create %1").arg(path));
    m_created = true;
    m_stringType = h5::utf8Type();
    const hid_t root = m_file.get();
    if (!h5::writeString(root, "halhub", QStringLiteral(HALHUB_VERSION))
        || !h5::writeInt64(root, "started", startedUs) || !h5::writeInt64(root, "ended", 0))
        return fail(error, QStringLiteral("cannot write the attributes of %1").arg(path));

    for (const RecordedDevice &device : devices) {
        h5::Handle g = makeGroup(root, linkName(device.id));
        if (!g || !h5::writeString(g.get(), "plugin", device.plugin)
            || !h5::writeString(g.get(), "name", device.name)
            || (!device.node.isEmpty() && !h5::writeString(g.get(), "node", device.node))
            || (device.rateHz && !h5::writeDouble(g.get(), "rate_hz", *device.rateHz)))
            return fail(error, QStringLiteral("cannot create the group of device '%1'").arg(device.id));
        for (const ChannelInfo &info : device.channels) {
            h5::Handle c = makeGroup(g.get(), linkName(info.name));
            Channel channel;
            channel.type = info.type;
            if (c) {
                channel.ts = makeDataset(c.get(), "ts", H5T_STD_I64LE);
                channel.value = makeDataset(c.get(), "value",
                                            fileTypeOf(info.type, m_stringType.get()));
            }
            if (!c || !h5::writeString(c.get(), "unit", info.unit)
                || !h5::writeString(c.get(), "type", channelTypeName(info.type)) || !channel.ts
                || !channel.value)
                return fail(error, QStringLiteral("cannot create channel '%1' of device '%2'")
                                       .arg(info.name, device.id));
            m_channels.push_back(std::move(channel));
        }
    }
    if (H5Fstart_swmr_write(root) < 0)
        return fail(error, QStringLiteral("cannot start SWMR writing of %1").arg(path));
    return true;
}

bool RecordingWriter::append(const std::vector<QueuedValue> &values, std::vector<qint64> *samples,
                             QString *error)
{
    for (const QueuedValue &v : values) {
        if (v.channel < 0 || size_t(v.channel) >= m_channels.size())
            continue;
        Channel &c = m_channels[size_t(v.channel)];
        c.pendingTs.push_back(v.ts);
        switch (c.type) {
        case ChannelType::Float: {
            double d = 0;
            std::memcpy(&d, &v.bits, sizeof d);
            c.pendingFloat.push_back(d);
            break;
        }
        case ChannelType::Int: c.pendingInt.push_back(v.bits); break;
        case ChannelType::Bool: c.pendingBool.push_back(v.bits ? 1 : 0); break;
        case ChannelType::String: c.pendingText.push_back(v.text.toUtf8()); break;
        }
    }
    bool ok = true;
    for (Channel &c : m_channels) {
        if (ok && !c.pendingTs.empty() && !writeChannel(c))
            ok = false;
        c.pendingTs.clear();
        c.pendingFloat.clear();
        c.pendingInt.clear();
        c.pendingBool.clear();
        c.pendingText.clear();
    }
    if (!ok)
        return fail(error, QStringLiteral("cannot write to %1").arg(m_path));
    for (const QueuedValue &v : values) {
        if (v.sampleStart && v.device >= 0 && size_t(v.device) < samples->size())
            ++(*samples)[size_t(v.device)];
    }
    return true;
}

bool RecordingWriter::writeChannel(Channel &c)
{
    const hsize_t count = c.pendingTs.size();
    bool ok = false;
    switch (c.type) {
    case ChannelType::Float:
        ok = extendAndWrite(c.value.get(), c.size, count, H5T_NATIVE_DOUBLE, c.pendingFloat.data());
        break;
    case ChannelType::Int:
        ok = extendAndWrite(c.value.get(), c.size, count, H5T_NATIVE_INT64, c.pendingInt.data());
        break;
    case ChannelType::Bool:
        ok = extendAndWrite(c.value.get(), c.size, count, H5T_NATIVE_UINT8, c.pendingBool.data());
        break;
    case ChannelType::String: {
        std::vector<const char *> texts;
        texts.reserve(c.pendingText.size());
        for (const QByteArray &t : c.pendingText)
            texts.push_back(t.constData());
        ok = extendAndWrite(c.value.get(), c.size, count, m_stringType.get(), texts.data());
        break;
    }
    }
    // ts last: a reader that sees a time sees its value.
    ok = ok && extendAndWrite(c.ts.get(), c.size, count, H5T_NATIVE_INT64, c.pendingTs.data());
    if (ok)
        c.size += count;
    return ok;
}

bool RecordingWriter::flush(QString *error)
{
    if (!m_file)
        return true;
    for (Channel &c : m_channels) {
        if (H5Dflush(c.value.get()) < 0 || H5Dflush(c.ts.get()) < 0)
            return fail(error, QStringLiteral("cannot write to %1").arg(m_path));
    }
    if (H5Fflush(m_file.get(), H5F_SCOPE_LOCAL) < 0)
        return fail(error, QStringLiteral("cannot write to %1").arg(m_path));
    return true;
}

qint64 RecordingWriter::fileSize() const
{
    hsize_t size = 0;
    if (m_file && H5Fget_filesize(m_file.get(), &size) >= 0)
        return qint64(size);
    return QFileInfo(m_path).size();
}

void RecordingWriter::abandon()
{
    m_channels.clear();
    m_stringType.reset();
    m_file.reset();
}

bool RecordingWriter::finish(qint64 endedUs, QString *error)
{
    if (!m_file)
        return true;
    m_channels.clear();
    m_stringType.reset();
    const bool closed = H5Fclose(m_file.release()) >= 0;
    if (!closed)
        return fail(error, QStringLiteral("cannot close %1").arg(m_path));
    h5::Handle f = h5::file(H5Fopen(m_path.toUtf8().constData(), H5F_ACC_RDWR, H5P_DEFAULT));
    if (!f || !h5::updateInt64(f.get(), "ended", endedUs))
        return fail(error, QStringLiteral("cannot stamp the end of %1").arg(m_path));
    return true;
}

} // namespace halhub

#include "recording/recordingreader.h"

#include <QFileInfo>

namespace halhub {

namespace {

struct Names
{
    QStringList groups;
};

herr_t collectGroup(hid_t parent, const char *name, const H5L_info_t *, void *data)
{
    H5O_info_t info;
    if (H5Oget_info_by_name2(parent, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) >= 0
        && info.type == H5O_TYPE_GROUP)
        static_cast<Names *>(data)->groups << QString::fromUtf8(name);
    return 0;
}

// Child groups in creation order (halhub's files track it), else by name.
QStringList childGroups(hid_t group)
{
    Names names;
    hsize_t index = 0;
    if (H5Literate(group, H5_INDEX_CRT_ORDER, H5_ITER_INC, &index, collectGroup, &names) < 0) {
        names.groups.clear();
        index = 0;
        H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &index, collectGroup, &names);
    }
    return names.groups;
}

std::optional<ChannelType> channelTypeFromName(const QString &name)
{
    for (ChannelType t : {ChannelType::Float, ChannelType::Int, ChannelType::Bool,
                          ChannelType::String}) {
        if (channelTypeName(t) == name)
            return t;
    }
    return std::nullopt;
}

hsize_t lengthOf(hid_t dataset)
{
    h5::Handle s = h5::space(H5Dget_space(dataset));
    if (H5Sget_simple_extent_ndims(s.get()) != 1)
        return 0;
    hsize_t dims[1] = {0};
    H5Sget_simple_extent_dims(s.get(), dims, nullptr);
    return dims[0];
}

// Reads the first n elements of a 1-D dataset.
bool readFirst(hid_t dataset, hsize_t n, hid_t memType, void *out)
{
    if (n == 0)
        return true;
    h5::Handle fileSpace = h5::space(H5Dget_space(dataset));
    const hsize_t start[1] = {0};
    const hsize_t count[1] = {n};
    if (H5Sselect_hyperslab(fileSpace.get(), H5S_SELECT_SET, start, nullptr, count, nullptr) < 0)
        return false;
    h5::Handle memSpace = h5::space(H5Screate_simple(1, count, nullptr));
    return H5Dread(dataset, memType, memSpace.get(), fileSpace.get(), H5P_DEFAULT, out) >= 0;
}

} // namespace

QVariant ChannelData::valueAt(size_t i) const
{
    switch (info.type) {
    case ChannelType::Float: return floats[i];
    case ChannelType::Int: return qlonglong(ints[i]);
    case ChannelType::Bool: return bools[i] != 0;
    case ChannelType::String: return strings[qsizetype(i)];
    }
    return {};
}

RecordingReader::~RecordingReader() = default;

bool RecordingReader::open(const QString &path, QString *error)
{
    h5::silenceErrorStack();
    m_path = path;
    if (!QFileInfo::exists(path)) {
        *error = QStringLiteral("%1: no such file").arg(path);
        return false;
    }
    const QByteArray name = path.toUtf8();
    if (H5Fis_hdf5(name.constData()) <= 0) {
        *error = QStringLiteral("%1: not an HDF5 file, so not a halhub recording").arg(path);
        return false;
    }
    // SWMR read opens a file that is being written or was cut short by a
    // crash; a file written without SWMR opens the plain way.
    m_file = h5::file(H5Fopen(name.constData(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT));
    if (!m_file)
        m_file = h5::file(H5Fopen(name.constData(), H5F_ACC_RDONLY, H5P_DEFAULT));
    if (!m_file) {
        *error = QStringLiteral("%1: cannot open: %2").arg(path, h5::lastError());
        return false;
    }
    const hid_t root = m_file.get();
    const auto version = h5::readString(root, "halhub");
    const auto started = h5::readInt64(root, "started");
    if (!version || !started) {
        *error = QStringLiteral("%1: not a halhub recording (no halhub and started attributes)")
                     .arg(path);
        m_file.reset();
        return false;
    }
    m_header = RecordingHeader();
    m_header.version = *version;
    m_header.startedUs = *started;
    const auto ended = h5::readInt64(root, "ended");
    if (ended && *ended > 0)
        m_header.endedUs = *ended;
    for (const QString &link : childGroups(root)) {
        h5::Handle g = h5::group(H5Gopen2(root, link.toUtf8().constData(), H5P_DEFAULT));
        if (!g)
            continue;
        RecordedDevice device;
        device.id = RecordingWriter::fromLinkName(link);
        device.plugin = h5::readString(g.get(), "plugin").value_or(QString());
        device.name = h5::readString(g.get(), "name").value_or(device.id);
        device.node = h5::readString(g.get(), "node").value_or(QString());
        device.rateHz = h5::readDouble(g.get(), "rate_hz");
        for (const QString &channelLink : childGroups(g.get())) {
            h5::Handle c = h5::group(H5Gopen2(g.get(), channelLink.toUtf8().constData(), H5P_DEFAULT));
            if (!c)
                continue;
            const auto type = channelTypeFromName(h5::readString(c.get(), "type").value_or(QString()));
            if (!type)
                continue;
            device.channels << ChannelInfo{RecordingWriter::fromLinkName(channelLink),
                                           h5::readString(c.get(), "unit").value_or(QString()),
                                           *type};
        }
        m_header.devices << device;
    }
    return true;
}

const RecordedDevice *RecordingReader::device(const QString &id) const
{
    for (const RecordedDevice &d : m_header.devices) {
        if (d.id == id)
            return &d;
    }
    return nullptr;
}

bool RecordingReader::readDevice(const QString &id, std::vector<ChannelData> *channels,
                                 QString *error)
{
    const RecordedDevice *device = this->device(id);
    if (!m_file || !device) {
        QStringList ids;
        for (const RecordedDevice &d : m_header.devices)
            ids << d.id;
        *error = QStringLiteral("%1: no device '%2' in this recording (it has: %3)")
                     .arg(m_path, id, ids.isEmpty() ? QStringLiteral("none") : ids.join(QStringLiteral(", ")));
        return false;
    }
    channels->clear();
    for (const ChannelInfo &info : device->channels) {
        const QString where = RecordingWriter::linkName(id) + QLatin1Char('/')
            + RecordingWriter::linkName(info.name);
        h5::Handle ts = h5::dataset(H5Dopen2(m_file.get(), (where + QStringLiteral("/ts")).toUtf8().constData(),
                                             H5P_DEFAULT));
        h5::Handle value = h5::dataset(H5Dopen2(m_file.get(), (where + QStringLiteral("/value")).toUtf8().constData(),
                                                H5P_DEFAULT));
        if (!ts || !value) {
            *error = QStringLiteral("%1: channel %2 lacks its ts or value dataset").arg(m_path, where);
            return false;
        }
        // A crash between a value and its time leaves the value longer.
        const hsize_t n = std::min(lengthOf(ts.get()), lengthOf(value.get()));
        ChannelData data;
        data.info = info;
        data.ts.resize(n);
        bool ok = readFirst(ts.get(), n, H5T_NATIVE_INT64, data.ts.data());
        switch (info.type) {
        case ChannelType::Float:
            data.floats.resize(n);
            ok = ok && readFirst(value.get(), n, H5T_NATIVE_DOUBLE, data.floats.data());
            break;
        case ChannelType::Int:
            data.ints.resize(n);
            ok = ok && readFirst(value.get(), n, H5T_NATIVE_INT64, data.ints.data());
            break;
        case ChannelType::Bool:
            data.bools.resize(n);
            ok = ok && readFirst(value.get(), n, H5T_NATIVE_UINT8, data.bools.data());
            break;
        case ChannelType::String: {
            h5::Handle fileType = h5::type(H5Dget_type(value.get()));
            if (H5Tget_class(fileType.get()) != H5T_STRING || H5Tis_variable_str(fileType.get()) <= 0) {
                ok = false;
                break;
            }
            h5::Handle memType = h5::utf8Type();
            std::vector<char *> texts(n, nullptr);
            ok = ok && readFirst(value.get(), n, memType.get(), texts.data());
            for (char *t : texts) {
                data.strings << QString::fromUtf8(t ? t : "");
                H5free_memory(t);
            }
            break;
        }
        }
        if (!ok) {
            *error = QStringLiteral("%1: cannot read channel %2: %3").arg(m_path, where, h5::lastError());
            return false;
        }
        channels->push_back(std::move(data));
    }
    return true;
}

} // namespace halhub

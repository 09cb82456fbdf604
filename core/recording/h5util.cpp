#include "recording/h5util.h"

#include <QByteArray>


namespace halhub::h5 {

void silenceErrorStack()
{
    // The automatic printing is per thread in a thread-safe build: every
    // thread that calls into HDF5 turns it off for itself.
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

namespace {

herr_t keepInnermost(unsigned n, const H5E_error2_t *error, void *data)
{
    if (n == 0 && error && error->desc)
        *static_cast<QString *>(data) = QString::fromUtf8(error->desc);
    return 0;
}

} // namespace

QString lastError()
{
    QString message;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keepInnermost, &message);
    // A system call's failure carries the system's words among many others.
    static const QString marker = QStringLiteral("error message = '");
    const qsizetype at = message.indexOf(marker);
    if (at >= 0) {
        const qsizetype from = at + marker.size();
        return message.mid(from, message.indexOf(QLatin1Char('\''), from) - from);
    }
    return message.simplified();
}

Handle utf8Type()
{
    Handle t = type(H5Tcopy(H5T_C_S1));
    H5Tset_size(t.get(), H5T_VARIABLE);
    H5Tset_cset(t.get(), H5T_CSET_UTF8);
    return t;
}

namespace {

bool writeScalar(hid_t object, const char *name, hid_t fileType, hid_t memType,
                 const void *value)
{
    Handle s = space(H5Screate(H5S_SCALAR));
    Handle a = attribute(H5Acreate2(object, name, fileType, s.get(), H5P_DEFAULT, H5P_DEFAULT));
    return a && H5Awrite(a.get(), memType, value) >= 0;
}

} // namespace

bool writeString(hid_t object, const char *name, const QString &value)
{
    const QByteArray utf8 = value.toUtf8();
    const char *text = utf8.constData();
    Handle t = utf8Type();
    return writeScalar(object, name, t.get(), t.get(), &text);
}

bool writeInt64(hid_t object, const char *name, qint64 value)
{
    const int64_t v = value;
    return writeScalar(object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &v);
}

bool writeDouble(hid_t object, const char *name, double value)
{
    return writeScalar(object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

bool updateInt64(hid_t object, const char *name, qint64 value)
{
    Handle a = attribute(H5Aopen(object, name, H5P_DEFAULT));
    const int64_t v = value;
    return a && H5Awrite(a.get(), H5T_NATIVE_INT64, &v) >= 0;
}

namespace {

Handle openAttribute(hid_t object, const char *name)
{
    if (H5Aexists(object, name) <= 0)
        return {};
    return attribute(H5Aopen(object, name, H5P_DEFAULT));
}

} // namespace

std::optional<QString> readString(hid_t object, const char *name)
{
    Handle a = openAttribute(object, name);
    if (!a)
        return std::nullopt;
    Handle fileType = type(H5Aget_type(a.get()));
    if (H5Tget_class(fileType.get()) != H5T_STRING)
        return std::nullopt;
    if (H5Tis_variable_str(fileType.get()) > 0) {
        Handle memType = utf8Type();
        char *text = nullptr;
        if (H5Aread(a.get(), memType.get(), &text) < 0)
            return std::nullopt;
        QString result = QString::fromUtf8(text ? text : "");
        H5free_memory(text);
        return result;
    }
    const size_t size = H5Tget_size(fileType.get());
    QByteArray buffer(qsizetype(size), '\0');
    if (H5Aread(a.get(), fileType.get(), buffer.data()) < 0)
        return std::nullopt;
    return QString::fromUtf8(buffer.constData(), qstrnlen(buffer.constData(), uint(size)));
}

std::optional<qint64> readInt64(hid_t object, const char *name)
{
    Handle a = openAttribute(object, name);
    if (!a)
        return std::nullopt;
    Handle fileType = type(H5Aget_type(a.get()));
    if (H5Tget_class(fileType.get()) != H5T_INTEGER)
        return std::nullopt;
    int64_t v = 0;
    if (H5Aread(a.get(), H5T_NATIVE_INT64, &v) < 0)
        return std::nullopt;
    return qint64(v);
}

std::optional<double> readDouble(hid_t object, const char *name)
{
    Handle a = openAttribute(object, name);
    if (!a)
        return std::nullopt;
    Handle fileType = type(H5Aget_type(a.get()));
    const H5T_class_t cls = H5Tget_class(fileType.get());
    if (cls != H5T_FLOAT && cls != H5T_INTEGER)
        return std::nullopt;
    double v = 0;
    if (H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v) < 0)
        return std::nullopt;
    return v;
}

} // namespace halhub::h5

#pragma once

#include <hdf5.h>

#include <QString>

#include <optional>

namespace halhub::h5 {

// One HDF5 identifier, closed with the function of its kind when it goes.
class Handle
{
public:
    using Closer = herr_t (*)(hid_t);

    Handle() = default;
    Handle(hid_t id, Closer closer) : m_id(id), m_closer(closer) {}
    ~Handle() { reset(); }
    Handle(Handle &&other) noexcept : m_id(other.m_id), m_closer(other.m_closer) { other.m_id = -1; }
    Handle &operator=(Handle &&other) noexcept
    {
        if (this != &other) {
            reset();
            m_id = other.m_id;
            m_closer = other.m_closer;
            other.m_id = -1;
        }
        return *this;
    }
    Handle(const Handle &) = delete;
    Handle &operator=(const Handle &) = delete;

    hid_t get() const { return m_id; }
    bool valid() const { return m_id >= 0; }
    explicit operator bool() const { return valid(); }
    // Gives the identifier up without closing it.
    hid_t release()
    {
        const hid_t id = m_id;
        m_id = -1;
        return id;
    }
    void reset()
    {
        if (m_id >= 0 && m_closer)
            m_closer(m_id);
        m_id = -1;
    }

private:
    hid_t m_id = -1;
    Closer m_closer = nullptr;
};

inline Handle file(hid_t id) { return Handle(id, H5Fclose); }
inline Handle group(hid_t id) { return Handle(id, H5Gclose); }
inline Handle dataset(hid_t id) { return Handle(id, H5Dclose); }
inline Handle space(hid_t id) { return Handle(id, H5Sclose); }
inline Handle type(hid_t id) { return Handle(id, H5Tclose); }
inline Handle plist(hid_t id) { return Handle(id, H5Pclose); }
inline Handle attribute(hid_t id) { return Handle(id, H5Aclose); }

// HDF5 prints every failure to stderr by default; halhub reports its own.
void silenceErrorStack();
// The innermost message of the current thread's error stack ("" when none).
QString lastError();

// The variable-length UTF-8 string type of every string halhub writes.
Handle utf8Type();

// Scalar attributes on an object (file, group). false on failure.
bool writeString(hid_t object, const char *name, const QString &value);
bool writeInt64(hid_t object, const char *name, qint64 value);
bool writeDouble(hid_t object, const char *name, double value);
// Overwrites an existing int64 attribute (created by writeInt64).
bool updateInt64(hid_t object, const char *name, qint64 value);

// Reads scalar attributes of any string or integer type; nothing when the
// attribute is missing or of another class.
std::optional<QString> readString(hid_t object, const char *name);
std::optional<qint64> readInt64(hid_t object, const char *name);
std::optional<double> readDouble(hid_t object, const char *name);

} // namespace halhub::h5

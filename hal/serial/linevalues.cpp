#include "linevalues.h"

#include <QLocale>
#include <QRegularExpression>

#include <cmath>

namespace halhub {

QVariant parseJsonNumber(const QByteArray &text)
{
    static const QRegularExpression number(
            QStringLiteral("^-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?$"));
    const QString s = QString::fromLatin1(text);
    const QRegularExpressionMatch m = number.match(s);
    if (!m.hasMatch())
        return {};
    if (m.capturedLength(2) == 0 && m.capturedLength(3) == 0) {
        bool ok = false;
        const qlonglong whole = text.toLongLong(&ok);
        if (ok)
            return QVariant::fromValue<qint64>(whole);
    }
    bool ok = false;
    const double d = text.toDouble(&ok);
    if (!ok || !std::isfinite(d))
        return {};
    return d;
}

bool formatParam(const QVariant &value, QString *text)
{
    switch (value.typeId()) {
    case QMetaType::Bool:
        *text = value.toBool() ? QStringLiteral("1") : QStringLiteral("0");
        return true;
    case QMetaType::Int:
    case QMetaType::LongLong:
    case QMetaType::UInt:
    case QMetaType::ULongLong:
        *text = value.toString();
        return true;
    case QMetaType::Double:
    case QMetaType::Float: {
        const double d = value.toDouble();
        if (!std::isfinite(d))
            return false;
        *text = QString::number(d, 'g', QLocale::FloatingPointShortest);
        return true;
    }
    case QMetaType::QString: {
        const QString s = value.toString();
        if (s.contains(QLatin1Char('\n')) || s.contains(QLatin1Char('\r')))
            return false;
        *text = s;
        return true;
    }
    default:
        return false;
    }
}

bool isPlainName(const QString &name)
{
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_]+$"));
    return plain.match(name).hasMatch();
}

} // namespace halhub

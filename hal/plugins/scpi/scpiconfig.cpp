#include "scpiconfig.h"

#include "bus/value.h"
#include "serial/linevalues.h"

#include <QRegularExpression>

namespace halhub {

namespace {

const QString kRaw = QStringLiteral("scpi");

bool isOneLine(const QVariant &value)
{
    if (value.typeId() != QMetaType::QString)
        return false;
    const QString text = value.toString();
    return !text.trimmed().isEmpty() && !text.contains(QLatin1Char('\n'))
            && !text.contains(QLatin1Char('\r'));
}

// The param types a template can send: what formatParam writes.
std::optional<ParamType> paramTypeOf(const QString &name)
{
    for (ParamType t : {ParamType::Number, ParamType::Integer, ParamType::Bool,
                        ParamType::String}) {
        if (paramTypeName(t) == name)
            return t;
    }
    return std::nullopt;
}

QString unknownKey(const QVariantMap &map, const QStringList &known, const QString &prefix)
{
    for (auto it = map.constBegin(); it != map.constEnd(); ++it) {
        if (!known.contains(it.key()))
            return prefix + QLatin1Char('.') + it.key() + QStringLiteral(": unknown key");
    }
    return {};
}

QString checkParam(const QString &key, const QVariant &param)
{
    if (param.typeId() != QMetaType::QVariantMap)
        return key + QStringLiteral(": expected an object {type, min, max, unit}");
    const QVariantMap p = param.toMap();
    const QString unknown = unknownKey(p, {QStringLiteral("type"), QStringLiteral("min"),
                                           QStringLiteral("max"), QStringLiteral("unit")}, key);
    if (!unknown.isEmpty())
        return unknown;
    std::optional<ParamType> type = ParamType::Any;
    if (p.contains(QStringLiteral("type"))) {
        type = paramTypeOf(p.value(QStringLiteral("type")).toString());
        if (p.value(QStringLiteral("type")).typeId() != QMetaType::QString || !type)
            return key + QStringLiteral(".type: expected number, integer, bool or string");
    }
    const bool numeric = *type == ParamType::Number || *type == ParamType::Integer;
    for (const QString &bound : {QStringLiteral("min"), QStringLiteral("max")}) {
        if (!p.contains(bound))
            continue;
        if (!numeric)
            return key + QLatin1Char('.') + bound
                    + QStringLiteral(": only a number or integer param has a range");
        if (!value::isFiniteNumber(p.value(bound)))
            return key + QLatin1Char('.') + bound + QStringLiteral(": expected a number");
    }
    if (p.contains(QStringLiteral("min")) && p.contains(QStringLiteral("max"))
        && p.value(QStringLiteral("min")).toDouble() > p.value(QStringLiteral("max")).toDouble())
        return key + QStringLiteral(": min is above max");
    if (p.contains(QStringLiteral("unit")) && !value::isString(p.value(QStringLiteral("unit"))))
        return key + QStringLiteral(".unit: expected a string such as \"V\"");
    return {};
}

QString checkCommand(const QString &key, const QVariant &command)
{
    if (isOneLine(command))
        return {};
    if (command.typeId() != QMetaType::QVariantMap)
        return key + QStringLiteral(": expected a template line such as \"VOLT {value}\" or "
                                    "{template, description, params}");
    const QVariantMap c = command.toMap();
    const QString unknown = unknownKey(c, {QStringLiteral("template"),
                                           QStringLiteral("description"),
                                           QStringLiteral("params")}, key);
    if (!unknown.isEmpty())
        return unknown;
    const QVariant templ = c.value(QStringLiteral("template"));
    if (!isOneLine(templ))
        return key + QStringLiteral(".template: expected a template line such as "
                                    "\"VOLT {value}\"");
    if (c.contains(QStringLiteral("description"))
        && !value::isString(c.value(QStringLiteral("description"))))
        return key + QStringLiteral(".description: expected a string");
    const QVariant params = c.value(QStringLiteral("params"));
    if (params.isNull())
        return {};
    if (params.typeId() != QMetaType::QVariantMap)
        return key + QStringLiteral(".params: expected an object of name: {type, min, max, unit}");
    const QStringList placeholders = templatePlaceholders(templ.toString());
    const QVariantMap map = params.toMap();
    for (auto it = map.constBegin(); it != map.constEnd(); ++it) {
        const QString paramKey = key + QStringLiteral(".params.") + it.key();
        if (!placeholders.contains(it.key()))
            return paramKey + QStringLiteral(": the template has no {%1}").arg(it.key());
        const QString problem = checkParam(paramKey, *it);
        if (!problem.isEmpty())
            return problem;
    }
    return {};
}

} // namespace

const QRegularExpression &templatePlaceholder()
{
    static const QRegularExpression re(QStringLiteral("\\{([A-Za-z0-9_]+)\\}"));
    return re;
}

QStringList templatePlaceholders(const QString &templ)
{
    QStringList names;
    QRegularExpressionMatchIterator it = templatePlaceholder().globalMatch(templ);
    while (it.hasNext()) {
        const QString name = it.next().captured(1);
        if (!names.contains(name))
            names << name;
    }
    return names;
}

QString checkScpiChannels(const QVariant &channels)
{
    if (channels.isNull())
        return {};
    if (channels.typeId() != QMetaType::QVariantMap)
        return QStringLiteral("channels: expected an object of name: query");
    const QVariantMap map = channels.toMap();
    for (auto it = map.constBegin(); it != map.constEnd(); ++it) {
        const QString key = QStringLiteral("channels.") + it.key();
        if (!isPlainName(it.key()))
            return key + QStringLiteral(": a channel name is letters, digits and _");
        if (isOneLine(*it))
            continue;
        if (it->typeId() != QMetaType::QVariantMap)
            return key + QStringLiteral(": expected a query line such as \"MEAS:VOLT?\" or "
                                        "{query, unit}");
        const QVariantMap ch = it->toMap();
        const QString unknown = unknownKey(ch, {QStringLiteral("query"), QStringLiteral("unit")},
                                           key);
        if (!unknown.isEmpty())
            return unknown;
        if (!isOneLine(ch.value(QStringLiteral("query"))))
            return key + QStringLiteral(".query: expected a query line such as \"MEAS:VOLT?\"");
        if (ch.contains(QStringLiteral("unit")) && !value::isString(ch.value(QStringLiteral("unit"))))
            return key + QStringLiteral(".unit: expected a string such as \"V\"");
    }
    return {};
}

QString checkScpiCommands(const QVariant &commands)
{
    if (commands.isNull())
        return {};
    if (commands.typeId() != QMetaType::QVariantMap)
        return QStringLiteral("commands: expected an object of name: template");
    const QVariantMap map = commands.toMap();
    for (auto it = map.constBegin(); it != map.constEnd(); ++it) {
        const QString key = QStringLiteral("commands.") + it.key();
        if (!isPlainName(it.key()))
            return key + QStringLiteral(": a command name is letters, digits and _");
        if (it.key() == kRaw)
            return QStringLiteral("commands.scpi: the name is taken by the raw command");
        const QString problem = checkCommand(key, *it);
        if (!problem.isEmpty())
            return problem;
    }
    return {};
}

QList<ScpiChannel> scpiChannels(const QVariantMap &channels)
{
    QList<ScpiChannel> list;
    for (auto it = channels.constBegin(); it != channels.constEnd(); ++it) {
        ScpiChannel c;
        c.name = it.key();
        if (it->typeId() == QMetaType::QVariantMap) {
            const QVariantMap ch = it->toMap();
            c.query = ch.value(QStringLiteral("query")).toString().toUtf8();
            c.unit = ch.value(QStringLiteral("unit")).toString();
        } else {
            c.query = it->toString().toUtf8();
        }
        list << c;
    }
    return list;
}

QMap<QString, ScpiCommand> scpiCommands(const QVariantMap &commands)
{
    QMap<QString, ScpiCommand> map;
    for (auto it = commands.constBegin(); it != commands.constEnd(); ++it) {
        ScpiCommand command;
        QVariantMap params;
        if (it->typeId() == QMetaType::QVariantMap) {
            const QVariantMap c = it->toMap();
            command.templ = c.value(QStringLiteral("template")).toString();
            command.spec.description = c.value(QStringLiteral("description")).toString();
            params = c.value(QStringLiteral("params")).toMap();
        } else {
            command.templ = it->toString();
        }
        command.spec.name = it.key();
        if (command.spec.description.isEmpty())
            command.spec.description = QStringLiteral("Sends \"%1\"").arg(command.templ);
        for (const QString &name : templatePlaceholders(command.templ)) {
            ParamSpec param;
            param.name = name;
            param.required = true;
            const QVariantMap p = params.value(name).toMap();
            if (p.contains(QStringLiteral("type")))
                param.type = paramTypeOf(p.value(QStringLiteral("type")).toString())
                                     .value_or(ParamType::Any);
            if (p.contains(QStringLiteral("min")))
                param.minimum = p.value(QStringLiteral("min")).toDouble();
            if (p.contains(QStringLiteral("max")))
                param.maximum = p.value(QStringLiteral("max")).toDouble();
            param.unit = p.value(QStringLiteral("unit")).toString();
            command.spec.params << param;
        }
        map.insert(it.key(), command);
    }
    return map;
}

} // namespace halhub

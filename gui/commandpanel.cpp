#include "commandpanel.h"

#include "bus/devicebus.h"
#include "hub/commanddesk.h"

#include <QComboBox>
#include <QDateTime>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QTableView>
#include <QVBoxLayout>

namespace halhub {

namespace {

constexpr int kHistoryLimit = 500;

// A value as JSON text, the way clients write it.
QString compactJson(const QVariant &value)
{
    const QByteArray array = QJsonDocument(QJsonArray{QJsonValue::fromVariant(value)})
                                 .toJson(QJsonDocument::Compact);
    return QString::fromUtf8(array.mid(1, array.size() - 2));
}

// Any JSON value typed into a field: `[1, 2]`, `"text"`, `3`, `{"a": 1}`.
std::optional<QVariant> parseJsonValue(const QString &text)
{
    QJsonParseError error;
    const QJsonDocument doc =
        QJsonDocument::fromJson(QByteArray("[") + text.toUtf8() + QByteArray("]"), &error);
    if (error.error != QJsonParseError::NoError || !doc.isArray() || doc.array().size() != 1)
        return std::nullopt;
    return doc.array().first().toVariant();
}

QString placeholderFor(const ParamSpec &p)
{
    QString text = paramTypeName(p.type);
    if (p.minimum && p.maximum)
        text += QStringLiteral(", %1 … %2").arg(*p.minimum).arg(*p.maximum);
    else if (p.minimum)
        text += QStringLiteral(", ≥ %1").arg(*p.minimum);
    else if (p.maximum)
        text += QStringLiteral(", ≤ %1").arg(*p.maximum);
    if (p.type == ParamType::List || p.type == ParamType::Any)
        text += CommandPanel::tr(" (JSON)");
    return text;
}

} // namespace

CommandPanel::CommandPanel(DeviceBus *bus, CommandDesk *desk, QWidget *parent)
    : QWidget(parent)
    , m_bus(bus)
    , m_desk(desk)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);

    auto *pick = new QFormLayout;
    m_device = new QComboBox(this);
    m_device->setObjectName(QStringLiteral("commandDevice"));
    m_command = new QComboBox(this);
    m_command->setObjectName(QStringLiteral("commandName"));
    // Devices that pass any command name through take one typed here.
    m_command->setInsertPolicy(QComboBox::NoInsert);
    pick->addRow(tr("&Device:"), m_device);
    pick->addRow(tr("C&ommand:"), m_command);
    layout->addLayout(pick);

    m_description = new QLabel(this);
    m_description->setWordWrap(true);
    m_description->setObjectName(QStringLiteral("commandDescription"));
    layout->addWidget(m_description);

    m_form = new QFormLayout;
    layout->addLayout(m_form);

    auto *sendRow = new QHBoxLayout;
    m_timeout = new QSpinBox(this);
    m_timeout->setObjectName(QStringLiteral("commandTimeout"));
    m_timeout->setRange(1, 60000);
    m_timeout->setValue(5000);
    m_timeout->setSuffix(tr(" ms"));
    m_timeout->setToolTip(tr("Time the device has for each attempt"));
    auto *timeoutLabel = new QLabel(tr("&Timeout:"), this);
    timeoutLabel->setBuddy(m_timeout);
    m_send = new QPushButton(tr("&Send"), this);
    m_send->setObjectName(QStringLiteral("commandSend"));
    m_send->setDefault(true);
    sendRow->addWidget(timeoutLabel);
    sendRow->addWidget(m_timeout);
    sendRow->addStretch(1);
    sendRow->addWidget(m_send);
    layout->addLayout(sendRow);

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("commandStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_status);

    m_history = new QStandardItemModel(0, HistoryColumnCount, this);
    m_history->setHorizontalHeaderLabels({tr("Time"), tr("Device"), tr("Command"), tr("Params"),
                                          tr("Status"), tr("Result")});
    m_historyView = new QTableView(this);
    m_historyView->setObjectName(QStringLiteral("commandHistory"));
    m_historyView->setModel(m_history);
    m_historyView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_historyView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_historyView->setWordWrap(false);
    m_historyView->setShowGrid(false);
    m_historyView->verticalHeader()->hide();
    m_historyView->horizontalHeader()->setStretchLastSection(true);
    m_historyView->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    m_historyView->verticalHeader()->setDefaultSectionSize(m_historyView->fontMetrics().height() + 6);
    // Narrow columns for the short fields, so the result stays in view.
    const int digit = m_historyView->fontMetrics().horizontalAdvance(QLatin1Char('0'));
    const int widths[] = {9 * digit, 7 * digit, 9 * digit, 10 * digit, 8 * digit};
    for (int column = 0; column < ResultColumn; ++column)
        m_historyView->setColumnWidth(column, widths[column]);
    layout->addWidget(m_historyView, 1);

    connect(m_device, &QComboBox::currentIndexChanged, this, &CommandPanel::rebuildCommands);
    connect(m_command, &QComboBox::currentTextChanged, this, &CommandPanel::rebuildForm);
    connect(m_send, &QPushButton::clicked, this, &CommandPanel::sendForm);
    if (m_bus) {
        connect(m_bus, &DeviceBus::deviceAdded, this, &CommandPanel::rebuildDevices);
        connect(m_bus, &DeviceBus::deviceRemoved, this, &CommandPanel::rebuildDevices);
        connect(m_bus, &DeviceBus::deviceInfoChanged, this, [this](const DeviceInfo &info) {
            if (info.id == selectedDevice())
                rebuildCommands();
        });
    }
    if (m_desk)
        connect(m_desk, &CommandDesk::resultReady, this, &CommandPanel::onResult);
    rebuildDevices();
}

CommandPanel::~CommandPanel() = default;

QString CommandPanel::session()
{
    return QStringLiteral("gui");
}

QString CommandPanel::selectedDevice() const
{
    return m_device->currentData().toString();
}

QString CommandPanel::selectedCommand() const
{
    return m_command->currentText().trimmed();
}

std::optional<DeviceInfo> CommandPanel::currentDevice() const
{
    if (!m_bus)
        return std::nullopt;
    return m_bus->device(selectedDevice());
}

void CommandPanel::select(const QString &device, const QString &command)
{
    const int index = m_device->findData(device);
    if (index >= 0)
        m_device->setCurrentIndex(index);
    if (!command.isEmpty()) {
        const int c = m_command->findText(command);
        if (c >= 0)
            m_command->setCurrentIndex(c);
        else if (m_command->isEditable())
            m_command->setEditText(command);
    }
}

void CommandPanel::rebuildDevices()
{
    const QString current = selectedDevice();
    const QSignalBlocker blocker(m_device);
    m_device->clear();
    if (m_bus) {
        for (const DeviceInfo &info : m_bus->devices())
            m_device->addItem(info.name.isEmpty() || info.name == info.id
                                  ? info.id
                                  : QStringLiteral("%1 (%2)").arg(info.id, info.name),
                              info.id);
    }
    m_device->setCurrentIndex(qMax(0, m_device->findData(current)));
    rebuildCommands();
}

void CommandPanel::rebuildCommands()
{
    const QString current = selectedCommand();
    const std::optional<DeviceInfo> info = currentDevice();
    {
        const QSignalBlocker blocker(m_command);
        m_command->clear();
        m_command->setEditable(info && info->anyCommand);
        if (info) {
            for (const CommandSpec &c : info->commands)
                m_command->addItem(c.name);
        }
        const int index = m_command->findText(current);
        if (index >= 0)
            m_command->setCurrentIndex(index);
        else if (m_command->isEditable())
            m_command->setEditText(current);
    }
    m_send->setEnabled(info.has_value());
    rebuildForm();
}

void CommandPanel::rebuildForm()
{
    while (m_form->rowCount() > 0)
        m_form->removeRow(0);
    m_fields.clear();
    m_rawParams = nullptr;

    const std::optional<DeviceInfo> info = currentDevice();
    const CommandSpec *spec = info ? info->command(selectedCommand()) : nullptr;
    m_description->setText(spec ? spec->description : QString());
    m_description->setVisible(spec && !spec->description.isEmpty());
    if (!spec) {
        // A command the device does not describe: its params as one JSON object.
        if (info && info->anyCommand) {
            m_rawParams = new QLineEdit(this);
            m_rawParams->setObjectName(QStringLiteral("param_json"));
            m_rawParams->setPlaceholderText(tr("{\"args\": [1, 2]} (JSON object, optional)"));
            m_form->addRow(tr("Params:"), m_rawParams);
        }
        return;
    }
    for (const ParamSpec &p : spec->params) {
        QWidget *editor = nullptr;
        if (p.type == ParamType::Bool
            || (p.type == ParamType::String && !p.allowed.isEmpty())) {
            auto *choice = new QComboBox(this);
            choice->addItem(p.required ? tr("(choose)") : tr("(not sent)"), QVariant());
            if (p.type == ParamType::Bool) {
                choice->addItem(QStringLiteral("true"), true);
                choice->addItem(QStringLiteral("false"), false);
            } else {
                for (const QString &a : p.allowed)
                    choice->addItem(a, a);
            }
            editor = choice;
        } else {
            auto *line = new QLineEdit(this);
            line->setPlaceholderText(placeholderFor(p));
            connect(line, &QLineEdit::returnPressed, this, &CommandPanel::sendForm);
            editor = line;
        }
        editor->setObjectName(QStringLiteral("param_%1").arg(p.name));
        m_form->addRow(p.required ? tr("%1 *:").arg(p.name) : tr("%1:").arg(p.name), editor);
        m_fields.append({p, editor});
    }
}

bool CommandPanel::setParamText(const QString &param, const QString &text)
{
    for (const Field &f : std::as_const(m_fields)) {
        if (f.spec.name != param)
            continue;
        if (auto *line = qobject_cast<QLineEdit *>(f.editor)) {
            line->setText(text);
            return true;
        }
        if (auto *choice = qobject_cast<QComboBox *>(f.editor)) {
            const int index = choice->findText(text);
            choice->setCurrentIndex(qMax(0, index));
            return index >= 0;
        }
    }
    if (m_rawParams && param.isEmpty()) {
        m_rawParams->setText(text);
        return true;
    }
    return false;
}

std::optional<QVariantMap> CommandPanel::formParams(QString *error) const
{
    QVariantMap params;
    if (m_rawParams) {
        const QString text = m_rawParams->text().trimmed();
        if (text.isEmpty())
            return params;
        const std::optional<QVariant> v = parseJsonValue(text);
        if (!v || v->metaType().id() != QMetaType::QVariantMap) {
            *error = tr("Params must be a JSON object, such as {\"args\": [1]}.");
            return std::nullopt;
        }
        return v->toMap();
    }
    const QLocale c = QLocale::c();
    for (const Field &f : m_fields) {
        if (auto *choice = qobject_cast<QComboBox *>(f.editor)) {
            const QVariant v = choice->currentData();
            if (v.isValid())
                params.insert(f.spec.name, v);
            continue;
        }
        const QString text = static_cast<QLineEdit *>(f.editor)->text().trimmed();
        if (text.isEmpty())
            continue;       // not sent: the device's check says if it is missing
        bool ok = false;
        QVariant value;
        switch (f.spec.type) {
        case ParamType::Number:
            value = c.toDouble(text, &ok);
            break;
        case ParamType::Integer:
            value = qlonglong(c.toLongLong(text, &ok));
            break;
        case ParamType::String:
            value = text;
            ok = true;
            break;
        case ParamType::Bool:
        case ParamType::List:
        case ParamType::Any:
            if (const std::optional<QVariant> v = parseJsonValue(text)) {
                value = *v;
                ok = true;
            }
            break;
        }
        if (!ok) {
            *error = tr("%1: \"%2\" is not a %3.").arg(f.spec.name, text, placeholderFor(f.spec));
            return std::nullopt;
        }
        params.insert(f.spec.name, value);
    }
    return params;
}

void CommandPanel::sendForm()
{
    QString error;
    const std::optional<QVariantMap> params = formParams(&error);
    if (!params) {
        m_status->setText(error);
        return;
    }
    submit(selectedDevice(), selectedCommand(), *params, m_timeout->value());
}

int CommandPanel::appendRow(const QString &device, const QString &command,
                            const QVariantMap &params)
{
    if (m_history->rowCount() >= kHistoryLimit) {
        // The oldest row goes, and the rows waiting for results move up.
        m_history->removeRow(0);
        for (auto it = m_rowOfCommand.begin(); it != m_rowOfCommand.end();) {
            if (--it.value() < 0)
                it = m_rowOfCommand.erase(it);
            else
                ++it;
        }
    }
    const QList<QStandardItem *> items = {
        new QStandardItem(QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss"))),
        new QStandardItem(device), new QStandardItem(command),
        new QStandardItem(params.isEmpty() ? QString() : compactJson(params)),
        new QStandardItem(), new QStandardItem()};
    m_history->appendRow(items);
    m_historyView->scrollToBottom();
    return m_history->rowCount() - 1;
}

void CommandPanel::setRow(int row, const QString &status, const QString &result, bool failed)
{
    m_history->item(row, StatusColumn)->setText(status);
    m_history->item(row, ResultColumn)->setText(result);
    m_history->item(row, ResultColumn)->setToolTip(result);
    const QBrush brush = failed ? QBrush(QColor(0xc6, 0x28, 0x28)) : QBrush();
    for (int column = 0; column < HistoryColumnCount; ++column)
        m_history->item(row, column)->setForeground(brush);
}

CommandRouter::Submission CommandPanel::submit(const QString &device, const QString &command,
                                               const QVariantMap &params, int timeoutMs)
{
    CommandRouter::Submission submission;
    if (!m_desk || device.isEmpty() || command.isEmpty()) {
        submission.errorCode = QStringLiteral("invalid_params");
        submission.errorMessage = tr("choose a device and a command");
        m_status->setText(submission.errorMessage);
        return submission;
    }
    CommandRequest request;
    request.device = device;
    request.command = command;
    request.params = params;
    request.timeoutMs = timeoutMs;
    request.principal = session();
    request.waiter.session = session();
    request.waiter.requestId = qulonglong(++m_nextRequestId);
    CommandOrigin origin;
    // The audit record names the operator's login and where it came from.
    origin.user = qEnvironmentVariable("USER");
    origin.address = QStringLiteral("gui");
    origin.session = session();

    const int row = appendRow(device, command, params);
    submission = m_desk->submit(request, origin);
    if (submission.outcome == CommandRouter::Submission::Outcome::Refused) {
        const QString why = QStringLiteral("%1: %2").arg(submission.errorCode, submission.errorMessage);
        setRow(row, tr("refused"), why, true);
        m_status->setText(tr("%1 refused: %2").arg(command, why));
        return submission;
    }
    m_history->item(row, StatusColumn)->setToolTip(submission.commandId);
    m_rowOfCommand.insert(submission.commandId, row);
    setRow(row, tr("queued"), QString(), false);
    m_status->setText(tr("%1 accepted by %2 (%3)").arg(command, device, submission.commandId));
    if (submission.finished)
        onResult(*submission.finished, {request.waiter});
    return submission;
}

void CommandPanel::onResult(const CommandResult &result, const QList<CommandWaiter> &)
{
    // Only the panel's own commands have a row waiting.
    const auto it = m_rowOfCommand.constFind(result.commandId);
    if (it == m_rowOfCommand.cend())
        return;
    const int row = *it;
    m_rowOfCommand.erase(it);
    QString text;
    switch (result.status) {
    case CommandResult::Status::Ok:
        text = compactJson(result.result.isValid() ? result.result : QVariant::fromValue(nullptr));
        break;
    case CommandResult::Status::Error:
    case CommandResult::Status::Timeout:
        text = QStringLiteral("%1: %2").arg(result.errorCode, result.errorMessage);
        break;
    case CommandResult::Status::Cancelled:
        break;
    }
    text += tr(" (%1 ms, %n attempt(s))", nullptr, result.attempts).arg(result.durationMs);
    setRow(row, commandStatusName(result.status), text.trimmed(),
           result.status != CommandResult::Status::Ok);
    m_status->setText(tr("%1 on %2: %3").arg(result.command, result.device,
                                            commandStatusName(result.status)));
    Q_EMIT commandFinished(result);
}

} // namespace halhub

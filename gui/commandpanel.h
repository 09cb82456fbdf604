#pragma once

#include "bus/deviceinfo.h"
#include "commands/commandrouter.h"

#include <QHash>
#include <QPointer>
#include <QWidget>

class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QStandardItemModel;
class QTableView;

namespace halhub {

class CommandDesk;
class DeviceBus;

// The Commands dock: sends a device command the way a client does, through
// the hub's CommandDesk (checked, queued behind clients' commands, audited),
// and keeps a history of what was sent with each command's ack and result.
// The form is built from the device's description: one field per parameter
// of the chosen command, typed after its ParamSpec.
class CommandPanel : public QWidget
{
    Q_OBJECT
public:
    enum HistoryColumn { TimeColumn, DeviceColumn, CommandColumn, ParamsColumn, StatusColumn,
                         ResultColumn, HistoryColumnCount };

    CommandPanel(DeviceBus *bus, CommandDesk *desk, QWidget *parent = nullptr);
    ~CommandPanel() override;

    // The waiter session and audit `session` of the window's commands.
    static QString session();

    // Sends a command; its history row shows the ack, later the result.
    CommandRouter::Submission submit(const QString &device, const QString &command,
                                     const QVariantMap &params, int timeoutMs);

    // Picks a device (and optionally a command) in the form.
    void select(const QString &device, const QString &command = {});
    QString selectedDevice() const;
    QString selectedCommand() const;
    // Sets a parameter's field as a user would type it.
    bool setParamText(const QString &param, const QString &text);
    // What the form holds; nullopt with *error when a field cannot be read.
    std::optional<QVariantMap> formParams(QString *error) const;

    QStandardItemModel *history() const { return m_history; }

Q_SIGNALS:
    // A command sent from the panel finished (its history row shows it).
    void commandFinished(const halhub::CommandResult &result);

public Q_SLOTS:
    // Sends what the form holds (the Send button).
    void sendForm();

private:
    struct Field
    {
        ParamSpec spec;
        QWidget *editor = nullptr;
    };

    void rebuildDevices();
    void rebuildCommands();
    void rebuildForm();
    void onResult(const CommandResult &result, const QList<CommandWaiter> &waiters);
    int appendRow(const QString &device, const QString &command, const QVariantMap &params);
    void setRow(int row, const QString &status, const QString &result, bool failed);
    std::optional<DeviceInfo> currentDevice() const;

    QPointer<DeviceBus> m_bus;
    QPointer<CommandDesk> m_desk;
    QComboBox *m_device = nullptr;
    QComboBox *m_command = nullptr;
    QFormLayout *m_form = nullptr;
    QLabel *m_description = nullptr;
    QLineEdit *m_rawParams = nullptr;      // commands the device does not describe
    QSpinBox *m_timeout = nullptr;
    QPushButton *m_send = nullptr;
    QLabel *m_status = nullptr;
    QList<Field> m_fields;
    QStandardItemModel *m_history = nullptr;
    QTableView *m_historyView = nullptr;
    QHash<QString, int> m_rowOfCommand;     // command_id -> history row
    quint64 m_nextRequestId = 0;
};

} // namespace halhub

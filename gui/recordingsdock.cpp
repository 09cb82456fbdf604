#include "recordingsdock.h"

#include "bus/clock.h"
#include "recording/recorder.h"

#include <QAction>
#include <QDesktopServices>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QTableWidget>
#include <QToolBar>
#include <QUrl>
#include <QVBoxLayout>

namespace halhub {

namespace {

QString durationText(qint64 us)
{
    const qint64 s = us / 1000000;
    return QStringLiteral("%1:%2:%3")
        .arg(s / 3600)
        .arg((s / 60) % 60, 2, 10, QLatin1Char('0'))
        .arg(s % 60, 2, 10, QLatin1Char('0'));
}

} // namespace

RecordingsDock::RecordingsDock(Recorder *recorder, QWidget *parent)
    : QWidget(parent)
    , m_recorder(recorder)
{
    m_record = new QAction(QIcon::fromTheme(QStringLiteral("media-record")), tr("Record"), this);
    m_record->setObjectName(QStringLiteral("recordAction"));
    m_record->setToolTip(tr("Record every sample of every device to a new file"));
    m_stop = new QAction(QIcon::fromTheme(QStringLiteral("media-playback-stop")), tr("Stop"), this);
    m_stop->setObjectName(QStringLiteral("stopRecordingAction"));
    m_stop->setToolTip(tr("Stop the selected recording"));
    m_open = new QAction(QIcon::fromTheme(QStringLiteral("folder-open")), tr("Open folder"), this);
    m_open->setToolTip(tr("Show the recording folder in the file manager"));
    connect(m_record, &QAction::triggered, this, &RecordingsDock::record);
    connect(m_stop, &QAction::triggered, this, &RecordingsDock::stopSelected);
    connect(m_open, &QAction::triggered, this, &RecordingsDock::openFolder);

    m_table = new QTableWidget(0, ColumnCount, this);
    m_table->setObjectName(QStringLiteral("recordingsTable"));
    m_table->setHorizontalHeaderLabels({tr("Name"), tr("State"), tr("Size"), tr("Duration"),
                                        tr("Devices"), tr("Lost")});
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(false);
    m_table->horizontalHeader()->setSectionResizeMode(DevicesColumn, QHeaderView::Stretch);
    connect(m_table, &QTableWidget::itemSelectionChanged, this, &RecordingsDock::updateActions);

    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("recordingMessage"));
    m_message->setWordWrap(true);
    m_message->hide();

    auto *bar = new QToolBar(this);
    bar->setIconSize(QSize(16, 16));
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->addActions({m_record, m_stop, m_open});
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(bar);
    layout->addWidget(m_message);
    layout->addWidget(m_table, 1);

    if (m_recorder) {
        connect(m_recorder, &Recorder::recordingStarted, this, &RecordingsDock::refresh);
        connect(m_recorder, &Recorder::recordingStopped, this, &RecordingsDock::refresh);
        connect(m_recorder, &Recorder::recordingFailed, this,
                [this](const QString &name, const QString &error) {
                    m_message->setText(tr("Recording %1 stopped writing: %2").arg(name, error));
                    m_message->show();
                    refresh();
                });
        connect(m_recorder, &Recorder::samplesLost, this,
                [this](const QString &name, qint64, qint64 total) {
                    m_message->setText(tr("Recording %1: samples lost: %2 (the disk does not keep up)")
                                           .arg(name)
                                           .arg(total));
                    m_message->show();
                });
    }
    // Sizes and durations of running recordings grow.
    m_timer.setInterval(1000);
    connect(&m_timer, &QTimer::timeout, this, &RecordingsDock::refresh);
    m_timer.start();
    refresh();
}

void RecordingsDock::refresh()
{
    if (!m_recorder) {
        updateActions();
        return;
    }
    const QString selected = selectedName();
    const QList<RecordingSummary> list = m_recorder->list();
    const qint64 now = wallClockUs();
    m_table->setRowCount(int(list.size()));
    for (int row = 0; row < list.size(); ++row) {
        const RecordingSummary &r = list.at(row);
        const qint64 end = r.endedUs.value_or(r.running ? now : r.startedUs);
        const QString state = r.running ? (r.error.isEmpty() ? tr("recording") : tr("failed"))
                                        : (r.endedUs ? tr("finished") : tr("cut short"));
        const QStringList cells = {r.name, state, QLocale().formattedDataSize(r.bytes),
                                   durationText(end - r.startedUs),
                                   r.devices.join(QStringLiteral(", ")),
                                   r.lost > 0 ? QString::number(r.lost) : QString()};
        for (int column = 0; column < ColumnCount; ++column) {
            QTableWidgetItem *item = m_table->item(row, column);
            if (!item) {
                item = new QTableWidgetItem;
                m_table->setItem(row, column, item);
            }
            item->setText(cells.at(column));
            item->setData(Qt::UserRole, r.running);
            item->setToolTip(column == StateColumn && !r.error.isEmpty() ? r.error : r.path);
        }
        if (r.name == selected)
            m_table->selectRow(row);
    }
    updateActions();
}

QString RecordingsDock::selectedName() const
{
    const QList<QTableWidgetItem *> items = m_table->selectedItems();
    return items.isEmpty() ? QString() : m_table->item(items.first()->row(), NameColumn)->text();
}

void RecordingsDock::updateActions()
{
    m_record->setEnabled(m_recorder != nullptr);
    m_open->setEnabled(m_recorder != nullptr);
    const QList<QTableWidgetItem *> items = m_table->selectedItems();
    m_stop->setEnabled(!items.isEmpty() && items.first()->data(Qt::UserRole).toBool());
}

bool RecordingsDock::record()
{
    if (!m_recorder)
        return false;
    const Recorder::Started started = m_recorder->start(std::nullopt);
    if (!started.errorCode.isEmpty()) {
        m_message->setText(tr("Cannot record: %1").arg(started.errorMessage));
        m_message->show();
        return false;
    }
    m_message->hide();
    refresh();
    for (int row = 0; row < m_table->rowCount(); ++row) {
        if (m_table->item(row, NameColumn)->text() == started.summary.name)
            m_table->selectRow(row);
    }
    return true;
}

void RecordingsDock::stopSelected()
{
    // The table follows when the file is closed (recordingStopped).
    if (m_recorder && m_recorder->stop(selectedName()))
        m_stop->setEnabled(false);
}

void RecordingsDock::openFolder()
{
    if (m_recorder)
        QDesktopServices::openUrl(QUrl::fromLocalFile(m_recorder->directory()));
}

} // namespace halhub

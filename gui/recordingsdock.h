#pragma once

#include <QTimer>
#include <QWidget>

class QAction;
class QLabel;
class QTableWidget;

namespace halhub {

class Recorder;

// The Recordings dock: the recordings of the recording directory, running
// and finished (name, state, size, duration, devices, samples lost), with
// Record (every device, the default name), Stop (the selected running one)
// and Open folder. It starts and stops recordings through the same
// Recorder that record_start and record_stop use.
class RecordingsDock : public QWidget
{
    Q_OBJECT
public:
    enum Column { NameColumn, StateColumn, SizeColumn, DurationColumn, DevicesColumn, LostColumn,
                  ColumnCount };

    explicit RecordingsDock(Recorder *recorder, QWidget *parent = nullptr);

    QAction *recordAction() const { return m_record; }
    QAction *stopAction() const { return m_stop; }
    QTableWidget *table() const { return m_table; }

public Q_SLOTS:
    void refresh();
    // False with a message in the dock when the recorder refused.
    bool record();
    void stopSelected();
    void openFolder();

private:
    QString selectedName() const;
    void updateActions();

    Recorder *m_recorder = nullptr;
    QTableWidget *m_table = nullptr;
    QLabel *m_message = nullptr;
    QAction *m_record = nullptr;
    QAction *m_stop = nullptr;
    QAction *m_open = nullptr;
    QTimer m_timer;
};

} // namespace halhub

#pragma once

#include "bus/deviceinfo.h"

#include <QColor>
#include <QElapsedTimer>
#include <QHash>
#include <QPixmap>
#include <QTimer>
#include <QWidget>

#include <vector>

namespace halhub {

// The central live plot of one device's numeric channels over the last few
// seconds. A sample costs an O(1), allocation-free append: each channel
// keeps the lowest and highest value of every time slot (at most
// 2 x maxPointsPerSecond() points a second, so short spikes survive) in a
// fixed ring. Painting happens at most 10 times a second, only when new
// samples came and the widget can be seen, timed between the devices'
// samples (so a frame delays none of them); it draws through each pixel
// column's lowest and highest point only, over a cached frame (legend, axes,
// grid) that is redrawn only when a value axis or the size changes.
// Channels are grouped by unit: each unit has its own value axis fitted to
// its channels (the first labelled on the left, the second on the right),
// so volts are not flattened by a 0..10 count.
class LivePlot final : public QWidget
{
    Q_OBJECT
public:
    struct Point
    {
        qint64 tUs = 0;
        double value = 0;
    };
    // A channel's newest value and its extremes over the plot window.
    struct Reading
    {
        QString name;
        QString unit;
        bool hasValue = false;
        double value = 0;
        double minimum = 0;
        double maximum = 0;
    };

    explicit LivePlot(QWidget *parent = nullptr);

    QString deviceId() const { return m_device; }
    // Starts over with this device's channels; an empty id plots nothing.
    void setDevice(const DeviceInfo &info);
    void clearDevice();
    // Push devices: channels that appeared since.
    void updateChannels(const DeviceInfo &info);

    double windowSeconds() const { return m_windowSeconds; }
    void setWindowSeconds(double seconds);
    // Time slots per second kept on arrival (each keeps its low and high).
    int maxPointsPerSecond() const { return m_maxPointsPerSecond; }
    void setMaxPointsPerSecond(int points);

    QStringList channelNames() const;
    // Points kept for a channel (at most two per time slot).
    int pointCount(const QString &channel) const;
    bool isChannelVisible(const QString &channel) const;
    void setChannelVisible(const QString &channel, bool visible);
    // Where a channel's legend entry is (clicking it hides the channel).
    QRect legendRect(const QString &channel) const;

    // The rectangle the data is drawn in.
    QRectF plotArea() const;
    // The pixel column of plotArea() a time falls in at the current size
    // (-1: left of the window).
    int columnOf(qint64 tUs) const;
    // The points the channel's line goes through at the current size, in
    // time order: per pixel column its lowest and highest point.
    std::vector<Point> drawnPoints(const QString &channel) const;
    // One reading per channel, in legend order.
    QList<Reading> readings() const;
    // The value axes: one per distinct unit ("" for channels without one).
    int axisCount() const { return int(m_axes.size()); }
    QString axisUnit(int axis) const;
    int axisOf(const QString &channel) const;
    // Where a value of the channel is drawn at the current size.
    double yOfChannel(const QString &channel, double value) const;
    // Frames painted so far (each one follows new samples or a change).
    int paintCount() const { return m_paintCount; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

public Q_SLOTS:
    void addSample(const halhub::Sample &sample);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void changeEvent(QEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    // Fixed-capacity ring: appending never allocates; when full the oldest
    // point goes.
    class Ring
    {
    public:
        void reset(size_t capacity);
        void push(const Point &p);
        void popFront();
        void clear() { m_head = m_size = 0; }
        size_t size() const { return m_size; }
        const Point &at(size_t i) const { return m_buf[(m_head + i) % m_buf.size()]; }

    private:
        std::vector<Point> m_buf;
        size_t m_head = 0;
        size_t m_size = 0;
    };
    // The slot samples currently arrive in: its low and high so far.
    struct Slot
    {
        qint64 index = -1;
        Point low;
        Point high;
    };
    struct Channel
    {
        QString name;
        QString unit;
        QColor color;
        bool visible = true;
        int axis = 0;                   // index into m_axes
        bool hasLast = false;
        Point last;                     // the newest value, for readings()
        Ring ring;
        Slot slot;
        std::vector<Point> drawn;     // decimated, reused between frames
    };

    void addChannel(const ChannelInfo &info);
    void resetStorage();
    void append(Channel &channel, const Point &p);
    static void flushSlot(Channel &channel);
    void trim(Channel &channel);
    qint64 slotUs() const;
    template<typename Fn>
    void forEachPoint(const Channel &channel, Fn fn) const;
    void decimate(const Channel &channel, std::vector<Point> &out) const;
    // Decimates every channel and fits the value axis; true if the axis moved.
    bool refreshLines();
    bool canBeSeen() const;
    // How long until a quiet moment between the devices' samples (-1: none
    // soon; 0: no device is sending).
    qint64 quietDelayUs() const;
    void noteArrival(const QString &device);
    void scheduleRepaint();
    void onRepaintTimer();
    void invalidateFrame();
    void paintFrame(QPainter &p) const;
    void layoutLegend() const;
    double xOf(qint64 tUs) const;
    struct Axis
    {
        QString unit;
        bool hasData = false;
        double lo = -1;
        double hi = 1;
        double step = 0.5;
    };
    double yOf(double value, const Axis &axis) const;
    void paintAxisLabels(QPainter &p, const Axis &axis, bool left) const;

    QString m_device;
    QString m_deviceName;
    std::vector<Channel> m_channels;
    qint64 m_newestUs = 0;
    double m_windowSeconds = 10;
    int m_maxPointsPerSecond = 100;

    // Drawing state: what the lines were decimated for, the value axis.
    bool m_dirty = false;               // samples since the last frame
    bool m_waitingForShow = false;      // hidden with samples to show
    bool m_frameQueued = false;         // a frame is timed for a quiet moment
    bool m_linesValid = false;
    qint64 m_linesEndUs = 0;
    int m_linesWidth = 0;
    bool m_hasData = false;
    std::vector<Axis> m_axes;

    QPixmap m_frame;                    // background, legend, axes, grid
    bool m_frameValid = false;
    std::vector<QPointF> m_vertices;    // reused for each channel's line
    QTimer m_repaintTimer;
    QElapsedTimer m_sinceFrame;
    // When each device's samples arrive, to start frames between them.
    struct Arrival
    {
        qint64 lastNs = 0;
        qint64 periodNs = 0;
    };
    QHash<QString, Arrival> m_arrivals;
    QElapsedTimer m_clock;
    int m_paintCount = 0;
    mutable QList<QRect> m_legendRects;
};

} // namespace halhub

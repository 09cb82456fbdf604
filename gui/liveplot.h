#pragma once

#include "bus/deviceinfo.h"

#include <QColor>
#include <QTimer>
#include <QWidget>

#include <deque>

namespace halhub {

// The central live plot of one device's numeric channels over the last few
// seconds. Samples are decimated on arrival (at most maxPointsPerSecond()
// kept per channel, in a bounded ring) and the widget repaints at most
// 20 times a second, so a 1 kHz device costs a comparison per sample.
class LivePlot final : public QWidget
{
    Q_OBJECT
public:
    explicit LivePlot(QWidget *parent = nullptr);

    QString deviceId() const { return m_device; }
    // Starts over with this device's channels; an empty id plots nothing.
    void setDevice(const DeviceInfo &info);
    void clearDevice();
    // Push devices: channels that appeared since.
    void updateChannels(const DeviceInfo &info);

    double windowSeconds() const { return m_windowSeconds; }
    void setWindowSeconds(double seconds);
    int maxPointsPerSecond() const { return m_maxPointsPerSecond; }
    void setMaxPointsPerSecond(int points);

    QStringList channelNames() const;
    int pointCount(const QString &channel) const;
    bool isChannelVisible(const QString &channel) const;
    void setChannelVisible(const QString &channel, bool visible);
    // Where a channel's legend entry is (clicking it hides the channel).
    QRect legendRect(const QString &channel) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

public Q_SLOTS:
    void addSample(const halhub::Sample &sample);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;

private:
    struct Point
    {
        qint64 tUs = 0;
        double value = 0;
    };
    struct Channel
    {
        QString name;
        QString unit;
        QColor color;
        bool visible = true;
        std::deque<Point> points;
    };

    void addChannel(const ChannelInfo &info);
    void trim(Channel &channel);
    void repaintIfDirty();
    QRectF plotArea() const;
    void layoutLegend() const;

    QString m_device;
    QString m_deviceName;
    QList<Channel> m_channels;
    qint64 m_lastAcceptedUs = 0;
    qint64 m_newestUs = 0;
    double m_windowSeconds = 10;
    int m_maxPointsPerSecond = 100;
    bool m_dirty = false;
    QTimer m_repaintTimer;
    mutable QList<QRect> m_legendRects;
};

} // namespace halhub

"""Mouse and keys for the drawing tools: clicks place points, pick drawings; Delete and right-click remove them."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject, QPoint, QPointF, Qt
from PySide6.QtWidgets import QMenu, QWidget

from widgets.chart.drawings import DrawingLayer
from widgets.chart.panes import ChartPane


def _tr(text: str) -> str:
    return QCoreApplication.translate("ChartPanel", text)


class DrawingInput(QObject):
    """Routes the price pane's clicks to its DrawingLayer; pan and zoom keep working between clicks."""

    def __init__(self, host: QWidget, scene: object, pane: ChartPane, layer: DrawingLayer) -> None:
        super().__init__(host)
        self._pane = pane
        self._layer = layer
        self.menu = QMenu(host)  # right-click on a drawing
        self.menu.setObjectName("chart_drawing_menu")
        self.delete_action = self.menu.addAction(_tr("Delete drawing"))
        self.delete_action.setObjectName("chart_delete_drawing_action")
        self.delete_action.triggered.connect(self._on_delete_action_triggered)
        scene.sigMouseClicked.connect(self._on_scene_sig_mouse_clicked)  # type: ignore[attr-defined]

    def press(self, scene_pos: QPointF, button: Qt.MouseButton, screen_pos: QPoint | None = None) -> bool:
        """One click on the chart's scene; True when the drawing tools used it."""
        view = self._pane.view
        if not view.sceneBoundingRect().contains(scene_pos):
            return False
        point = view.mapSceneToView(scene_pos)
        layer = self._layer
        if button == Qt.MouseButton.LeftButton:
            if layer.tool is not None:
                layer.click(point.x(), point.y())
                return True
            hit = layer.hit(scene_pos)
            if hit != layer.selected:
                layer.select(hit)
            return hit is not None
        if button == Qt.MouseButton.RightButton:
            hit = layer.hit(scene_pos)
            if hit is None:
                layer.start(None)  # a right click also abandons a half-placed drawing
                return False
            layer.select(hit)
            if screen_pos is not None:
                self.menu.popup(screen_pos)
            return True
        return False

    def move(self, scene_pos: QPointF) -> None:
        view = self._pane.view
        if self._layer.tool is not None and view.sceneBoundingRect().contains(scene_pos):
            point = view.mapSceneToView(scene_pos)
            self._layer.hover(point.x(), point.y())

    def key(self, key: int) -> bool:
        """Delete/Backspace removes the selected drawing; Escape disarms a tool. True when used."""
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            return self._layer.delete_selected()
        if key == Qt.Key.Key_Escape and self._layer.tool is not None:
            self._layer.start(None)
            return True
        return False

    def _on_scene_sig_mouse_clicked(self, event: object) -> None:
        screen = event.screenPos()  # type: ignore[attr-defined]
        if self.press(event.scenePos(), event.button(), QPoint(int(screen.x()), int(screen.y()))):  # type: ignore[attr-defined]
            event.accept()  # type: ignore[attr-defined]

    def _on_delete_action_triggered(self) -> None:
        self._layer.delete_selected()

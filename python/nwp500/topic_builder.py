"""MQTT topic strings of the Navien protocol (nwp500-python 9.3.0's
``nwp500.topic_builder``). The client builds the same strings in the Rust core."""

from __future__ import annotations

__all__ = ["MqttTopicBuilder"]


class MqttTopicBuilder:
    """Static helpers building the device's and the client's topics."""

    @staticmethod
    def device_topic(mac_address: str) -> str:
        """``navilink-<mac>``: the device's segment of every topic."""
        return f"navilink-{mac_address}"

    @staticmethod
    def command_topic(device_type: str, mac_address: str, suffix: str = "ctrl") -> str:
        """``cmd/<type>/navilink-<mac>/<suffix>``: where a command is published."""
        return f"cmd/{device_type}/{MqttTopicBuilder.device_topic(mac_address)}/{suffix}"

    @staticmethod
    def response_ack_topic(device_type: str, mac_address: str, client_id: str) -> str:
        """``cmd/<type>/navilink-<mac>/<client_id>/res``: a command's default reply topic."""
        return f"cmd/{device_type}/{MqttTopicBuilder.device_topic(mac_address)}/{client_id}/res"

    @staticmethod
    def response_topic(device_type: str, client_id: str, suffix: str) -> str:
        """``cmd/<type>/<client_id>/res/<suffix>``: a client's reply topic (``rsv/rd``,
        ``tou/rd``, ``energy-usage-daily-query/rd``...)."""
        return f"cmd/{device_type}/{client_id}/res/{suffix}"

    @staticmethod
    def event_topic(device_type: str, mac_address: str, suffix: str) -> str:
        """``evt/<type>/navilink-<mac>/<suffix>``: an event topic (``app-connection``)."""
        return f"evt/{device_type}/{MqttTopicBuilder.device_topic(mac_address)}/{suffix}"

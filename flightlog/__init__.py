"""flightlog: recorder packets, flight descriptor, and (to come) time, navigation and alignment.

The base layer of the toolkit: everything here reads or writes what ``ICD.md`` defines.
"""

from flightlog._crc import crc16
from flightlog.anomalies import ANOMALY_KINDS, Anomaly, AnomalyLog, StreamSummary
from flightlog.descriptor import DescriptorError, FlightDescriptor, load_descriptor
from flightlog.ingest import PACKET_DTYPE, PacketTable, StreamReader, read_stream
from flightlog.packets import (
    SegmentWriter,
    SequenceCounters,
    encode_fixed_packets,
    encode_packet,
    packetize,
    write_stream,
)

__all__ = [
    "ANOMALY_KINDS",
    "Anomaly",
    "AnomalyLog",
    "DescriptorError",
    "FlightDescriptor",
    "PACKET_DTYPE",
    "PacketTable",
    "SegmentWriter",
    "SequenceCounters",
    "StreamReader",
    "StreamSummary",
    "crc16",
    "encode_fixed_packets",
    "encode_packet",
    "load_descriptor",
    "packetize",
    "read_stream",
    "write_stream",
]

"""flightlog: recorder packets, time systems, navigation, alignment and geolocation.

The base layer of the toolkit: everything here reads or writes what ``ICD.md`` defines,
and puts every SAR pulse and spectrometer frame in GPS time and space.
"""

from flightlog._crc import crc16
from flightlog.align import Alignment, AlignmentError, align, write_aligned
from flightlog.anomalies import ANOMALY_KINDS, Anomaly, AnomalyLog, StreamSummary
from flightlog.clockfit import ClockModel, ClockPiece, fit_clock
from flightlog.descriptor import DescriptorError, FlightDescriptor, load_descriptor
from flightlog.geodesy import ecef_to_geodetic, geodetic_to_ecef
from flightlog.geolocate import Dem, intersect, local_angles, sun_ecef
from flightlog.ingest import PACKET_DTYPE, LiveStream, PacketTable, StreamReader, read_stream
from flightlog.nmea import read_nmea, write_nmea
from flightlog.novatel import read_inspvaxa, write_inspvaxa
from flightlog.packets import (
    SegmentWriter,
    SequenceCounters,
    encode_fixed_packets,
    encode_packet,
    packetize,
    write_stream,
)
from flightlog.sbet import read_sbet, write_sbet
from flightlog.timesys import (
    StaleLeapSecondTable,
    gps_from_week,
    gps_to_tai,
    gps_to_utc,
    gps_to_week,
    utc_to_gps,
)
from flightlog.trajectory import State, Trajectory

__all__ = [
    "ANOMALY_KINDS",
    "Alignment",
    "AlignmentError",
    "Anomaly",
    "AnomalyLog",
    "ClockModel",
    "ClockPiece",
    "Dem",
    "DescriptorError",
    "FlightDescriptor",
    "LiveStream",
    "PACKET_DTYPE",
    "PacketTable",
    "SegmentWriter",
    "SequenceCounters",
    "StaleLeapSecondTable",
    "State",
    "StreamReader",
    "StreamSummary",
    "Trajectory",
    "align",
    "crc16",
    "ecef_to_geodetic",
    "encode_fixed_packets",
    "encode_packet",
    "fit_clock",
    "geodetic_to_ecef",
    "gps_from_week",
    "gps_to_tai",
    "gps_to_utc",
    "gps_to_week",
    "intersect",
    "load_descriptor",
    "local_angles",
    "packetize",
    "read_inspvaxa",
    "read_nmea",
    "read_sbet",
    "read_stream",
    "sun_ecef",
    "utc_to_gps",
    "write_aligned",
    "write_inspvaxa",
    "write_nmea",
    "write_sbet",
    "write_stream",
]

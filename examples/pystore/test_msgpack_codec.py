import math
import struct
import unittest

from msgpack_codec import DecodeError, Float32, decode, encode


class EncodingTest(unittest.TestCase):
    def test_known_bytes(self):
        # Spot checks against the msgpack specification's formats.
        cases = [
            (None, b"\xc0"), (False, b"\xc2"), (True, b"\xc3"),
            (0, b"\x00"), (127, b"\x7f"), (128, b"\xcc\x80"), (255, b"\xcc\xff"), (256, b"\xcd\x01\x00"),
            (65536, b"\xce\x00\x01\x00\x00"), (2**32, b"\xcf" + struct.pack(">Q", 2**32)),
            (-1, b"\xff"), (-32, b"\xe0"), (-33, b"\xd0\xdf"), (-129, b"\xd1\xff\x7f"),
            (-(2**31) - 1, b"\xd3" + struct.pack(">q", -(2**31) - 1)),
            (1.5, b"\xcb" + struct.pack(">d", 1.5)), (Float32(1.5), b"\xca" + struct.pack(">f", 1.5)),
            ("", b"\xa0"), ("a" * 31, b"\xbf" + b"a" * 31), ("a" * 32, b"\xd9\x20" + b"a" * 32),
            (b"", b"\xc4\x00"), (b"x" * 256, b"\xc5\x01\x00" + b"x" * 256),
            ([], b"\x90"), ([1] * 16, b"\xdc\x00\x10" + b"\x01" * 16),
            ({}, b"\x80"), ({"a": 1}, b"\x81\xa1a\x01"),
        ]
        for value, want in cases:
            with self.subTest(value=repr(value)[:40]):
                self.assertEqual(encode(value), want)
                self.assertEqual(decode(want), value)

    def test_round_trip_boundaries(self):
        values = [0, 1, 2**7 - 1, 2**7, 2**8 - 1, 2**8, 2**16 - 1, 2**16, 2**32 - 1, 2**32, 2**64 - 1,
                  -1, -32, -33, -128, -129, -2**15, -2**15 - 1, -2**31, -2**31 - 1, -2**63,
                  "é" * 100, "x" * 70000, b"\x00" * 70000, [None, True, [b"", {}]], {"k": {"n": [1, 2.25]}}]
        for v in values:
            with self.subTest(value=repr(v)[:40]):
                self.assertEqual(decode(encode(v)), v)

    def test_float32_rounds(self):
        f = Float32(0.1)
        self.assertEqual(decode(encode(f)), struct.unpack(">f", struct.pack(">f", 0.1))[0])
        self.assertTrue(math.isnan(decode(encode(float("nan")))))

    def test_out_of_range_and_unknown_types(self):
        for bad in (2**64, -2**63 - 1):
            with self.assertRaises(OverflowError):
                encode(bad)
        with self.assertRaises(TypeError):
            encode(object())


class DecodeErrorTest(unittest.TestCase):
    def test_rejects(self):
        cases = {
            "empty": b"",
            "truncated uint32": b"\xce\x00\x01",
            "truncated str": b"\xa5abc",
            "truncated bin length": b"\xc5\x01",
            "array count beyond the bytes": b"\xdd\xff\xff\xff\xff\x01",
            "map missing a value": b"\x81\xa1a",
            "trailing bytes": b"\x01\x02",
            "ext type": b"\xd4\x01\x00",
            "never used 0xc1": b"\xc1",
            "str not utf-8": b"\xa2\xff\xfe",
            "unhashable key": b"\x81\x90\x01",
            "nesting too deep": b"\x91" * 100 + b"\x00",
        }
        for name, data in cases.items():
            with self.subTest(name):
                with self.assertRaises(DecodeError):
                    decode(data)

    def test_error_names_the_offset(self):
        with self.assertRaisesRegex(DecodeError, "offset 3"):
            decode(b"\x92\x01\x02\x03")


if __name__ == "__main__":
    unittest.main()

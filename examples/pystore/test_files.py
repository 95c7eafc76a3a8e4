import os
import shutil
import tempfile
import unittest

import files
import record_format as rf


class DurableImageTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pystore-files-")
        self.path = os.path.join(self.dir, "content.0.dat")
        files.create_atomically(self.path, rf.content_header(0), True)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def disk(self):
        with open(self.path + files.DISK_SUFFIX, "rb") as f:
            return f.read()

    def test_ranges_written_out_of_order_reach_the_image(self):
        # Found by warmcheck (crash-recovery, seed 3): two puts reserve
        # [h, h+100) and [h+100, h+200); the second writes first and a sync
        # runs; the first writes later and completes before the next sync,
        # which must copy its range although it lies before the mirror's end.
        c = files.ContentFile(self.path, 0, True)
        h = rf.CONTENT_HEADER_LEN
        c.write(h + 100, b"B" * 100)
        c.sync()
        c.write(h, b"A" * 100)
        self.assertEqual(self.disk()[h:h + 100], bytes(100))  # not synced yet
        c.sync()
        self.assertEqual(self.disk()[h:h + 200], b"A" * 100 + b"B" * 100)
        c.close()

    def test_reopen_notes_what_the_image_lacks(self):
        c = files.ContentFile(self.path, 0, True)
        c.write(rf.CONTENT_HEADER_LEN, b"unsynced")
        c.close()  # a kill: the file has it, the image does not
        c = files.ContentFile(self.path, 0, True)
        c.sync()
        self.assertIn(b"unsynced", self.disk())
        c.close()


if __name__ == "__main__":
    unittest.main()

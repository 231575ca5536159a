using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Hale.BrowserTests;

/// <summary>Small files made in the test, so nothing binary is checked in.</summary>
public static class TestFiles
{
    /// <summary>A valid 2×2 RGB PNG (signature, IHDR, zlib IDAT, IEND, each chunk with its CRC).</summary>
    public static byte[] Png()
    {
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);

        var header = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(0), 2); // width
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), 2); // height
        header[8] = 8; // bit depth
        header[9] = 2; // colour type: truecolour
        WriteChunk(png, "IHDR", header);

        // Each scanline: filter byte 0, then the pixels' RGB.
        byte[] pixels = [0, 0x0B, 0x5D, 0x4B, 0xFF, 0xFF, 0xFF, 0, 0xFF, 0xFF, 0xFF, 0x0B, 0x5D, 0x4B];
        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                zlib.Write(pixels);
            }
            WriteChunk(png, "IDAT", compressed.ToArray());
        }
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(number, (uint)data.Length);
        png.Write(number);
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc32(typeAndData));
        png.Write(number);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }
        return ~crc;
    }
}

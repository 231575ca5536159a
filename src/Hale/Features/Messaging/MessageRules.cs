namespace Hale.Features.Messaging;

/// <summary>The limits a message must keep, and the check that an attachment really is what it claims.</summary>
public static class MessageRules
{
    public const int MaxBodyLength = 20_000;
    public const int MaxSubjectLength = 200;
    public const int MaxAttachments = 5;
    public const long MaxAttachmentBytes = 10 * 1024 * 1024;

    /// <summary>Room for five files at the limit plus the form; larger requests are refused before they are read.</summary>
    public const long MaxRequestBytes = (MaxAttachments + 1) * MaxAttachmentBytes + 1024 * 1024;
    public const string AcceptedTypes = "application/pdf,image/png,image/jpeg,image/heic,.pdf,.png,.jpg,.jpeg,.heic";

    /// <summary>Reads the first bytes: the name and the browser's declared type are not trusted.</summary>
    public static string? DetectContentType(ReadOnlySpan<byte> content)
    {
        if (content.StartsWith("%PDF-"u8))
        {
            return "application/pdf";
        }
        if (content.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return "image/png";
        }
        if (content.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return "image/jpeg";
        }
        // HEIF/HEIC: an ISO-BMFF 'ftyp' box whose major brand is a HEIF brand.
        if (content.Length >= 12 && content.Slice(4, 4).SequenceEqual("ftyp"u8))
        {
            var brand = System.Text.Encoding.ASCII.GetString(content.Slice(8, 4));
            if (brand is "heic" or "heix" or "hevc" or "hevx" or "heim" or "heis" or "mif1" or "msf1")
            {
                return "image/heic";
            }
        }
        return null;
    }

    public static string SafeFileName(string name)
    {
        var file = Path.GetFileName(name.Replace('\\', '/'));
        var cleaned = new string([.. file.Where(c => !char.IsControl(c) && c != '"')]).Trim();
        if (cleaned.Length == 0)
        {
            cleaned = "attachment";
        }
        return cleaned.Length > 120 ? cleaned[..120] : cleaned;
    }
}

public sealed record IncomingFile(string FileName, long Length, byte[] Content);

/// <summary>What a send needs beyond the body: a subject and topic for a new thread.</summary>
public sealed record NewThreadInput(MessageTopic? Topic, Guid? ClinicianId, string? Subject);

/// <summary>The outcome of a send: the thread (and message) it stored, or the errors by field.</summary>
public sealed record SendResult(Guid ThreadId, Guid MessageId, bool Duplicate, IReadOnlyDictionary<string, string> Errors, bool ThreadNotFound = false)
{
    public bool Succeeded => Errors.Count == 0 && !ThreadNotFound;

    public static SendResult Invalid(Dictionary<string, string> errors) => new(Guid.Empty, Guid.Empty, false, errors);

    public static SendResult NotFound { get; } = new(Guid.Empty, Guid.Empty, false, new Dictionary<string, string>(), ThreadNotFound: true);
}

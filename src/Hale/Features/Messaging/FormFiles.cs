namespace Hale.Features.Messaging;

public static class FormFiles
{
    /// <summary>A draft autosave from script (fetch or beacon) wants 204; a "Save draft" button press wants a page.</summary>
    public static bool IsBackgroundSave(HttpRequest request) =>
        request.Headers.TryGetValue("Sec-Fetch-Mode", out var mode) && mode != "navigate";

    /// <summary>
    /// Reads uploaded files for <see cref="MessageSender"/>. A file over the size limit is not read
    /// into memory; it is passed on with its length so the sender can name it in the error.
    /// </summary>
    public static async Task<IReadOnlyList<IncomingFile>> ReadAsync(IEnumerable<IFormFile>? files, CancellationToken cancellationToken)
    {
        var result = new List<IncomingFile>();
        foreach (var file in files ?? [])
        {
            if (file.Length == 0 && string.IsNullOrEmpty(file.FileName))
            {
                continue; // an empty file input
            }
            if (file.Length > MessageRules.MaxAttachmentBytes)
            {
                result.Add(new IncomingFile(file.FileName, file.Length, []));
                continue;
            }
            using var buffer = new MemoryStream((int)file.Length);
            await file.CopyToAsync(buffer, cancellationToken);
            result.Add(new IncomingFile(file.FileName, file.Length, buffer.ToArray()));
        }
        return result;
    }
}

using Hale.Data;
using Hale.Features.Audit;
using Hale.Features.Patients;
using Hale.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Hale.Features.Messaging;

[Audited("thread.list")]
public sealed class InboxModel(HaleDbContext db, FieldEncryptor encryptor, AuditTrail audit) : PageModel
{
    public const int PageSize = 50;

    public sealed record Row(Guid Id, string Subject, MessageTopic Topic, DateTime LastMessageAt, bool Unread, int UnreadCount, string? PatientName, int MessageCount);

    public IReadOnlyList<Row> Threads { get; private set; } = [];
    public int TotalUnread { get; private set; }
    public bool IsStaff { get; private set; }
    public TimeZoneInfo Zone { get; private set; } = TimeZoneInfo.Utc;

    [BindProperty(SupportsGet = true, Name = "page")]
    public int PageNumber { get; set; } = 1;

    public bool HasNext { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var me = CurrentUser.Require(User);
        if (!me.IsPatient && !me.IsCareTeamRole)
        {
            return NotFound();
        }
        IsStaff = !me.IsPatient;
        PageNumber = Math.Clamp(PageNumber, 1, 100_000);
        Zone = (await db.Practices.AsNoTracking().SingleAsync(p => p.Id == me.PracticeId, cancellationToken)).TimeZoneInfo;

        var visible = db.Threads.VisibleTo(me);
        var reads = db.ThreadReadStates.Where(r => r.UserId == me.Id);
        var query =
            from t in visible
            join r in reads on t.Id equals r.ThreadId into rs
            from r in rs.DefaultIfEmpty()
            select new
            {
                t.Id,
                t.SubjectCipher,
                t.KeyId,
                t.Topic,
                t.LastMessageAt,
                t.MessageCount,
                t.PatientId,
                Unread = r == null || t.LastMessageAt > r.LastReadAt,
            };
        var page = await query
            .OrderByDescending(t => t.Unread).ThenByDescending(t => t.LastMessageAt)
            .Skip((PageNumber - 1) * PageSize).Take(PageSize + 1)
            .ToListAsync(cancellationToken);
        HasNext = page.Count > PageSize;
        page = [.. page.Take(PageSize)];

        TotalUnread = await query.CountAsync(t => t.Unread, cancellationToken);
        var ids = page.Select(t => t.Id).ToList();
        var unreadCounts = await (
                from m in db.Messages
                where ids.Contains(m.ThreadId) && m.SenderUserId != me.Id
                join r in reads on m.ThreadId equals r.ThreadId into rs
                from r in rs.DefaultIfEmpty()
                where r == null || m.SentAt > r.LastReadAt
                group m by m.ThreadId into g
                select new { ThreadId = g.Key, Count = g.Count() })
            .ToDictionaryAsync(x => x.ThreadId, x => x.Count, cancellationToken);

        Dictionary<Guid, string> names = [];
        if (IsStaff)
        {
            var patientIds = page.Select(t => t.PatientId).Distinct().ToList();
            names = await db.Patients.Where(p => patientIds.Contains(p.Id))
                .ToDictionaryAsync(p => p.Id, p => p.GivenName + " " + p.FamilyName, cancellationToken);
        }

        var rows = new List<Row>(page.Count);
        foreach (var t in page)
        {
            var subject = await encryptor.DecryptStringAsync(t.SubjectCipher, t.KeyId, Contexts.ThreadSubject(t.Id), cancellationToken);
            rows.Add(new Row(t.Id, subject, t.Topic, t.LastMessageAt, t.Unread, unreadCounts.GetValueOrDefault(t.Id), names.GetValueOrDefault(t.PatientId), t.MessageCount));
        }
        Threads = rows;
        // One event per inbox view; opening a thread is audited per patient (a staff inbox page lists up to
        // 50 patients, and a row for each would cost more than the page itself: docs/performance.md).
        await audit.RecordAsync("thread.list", "Thread", null, me.IsPatient ? me.PatientId : null, cancellationToken: cancellationToken);
        return Page();
    }
}

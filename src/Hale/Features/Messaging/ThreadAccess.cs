using Hale.Features.Patients;
using Hale.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Hale.Features.Messaging;

/// <summary>
/// Who may see a thread: the patient it belongs to, and the clinicians and nurses on that patient's
/// care team. Everyone else gets nothing, and pages answer 404 exactly as for a missing id.
/// </summary>
public static class ThreadAccess
{
    public static IQueryable<MessageThread> VisibleTo(this DbSet<MessageThread> threads, CurrentUser user)
    {
        if (user.IsPatient)
        {
            var patientId = user.PatientId ?? Guid.Empty;
            return threads.Where(t => t.PatientId == patientId);
        }
        if (user.IsCareTeamRole)
        {
            // "PatientId IN (the staff member's care-team patients)", not a correlated EXISTS per thread:
            // the database then starts from the care-team index and reads only those patients' threads
            // (IX_Threads_PatientId_LastMessageAt), where EXISTS made SQLite scan every thread in the database.
            var staffId = user.Id;
            var patients = threads.GetService<ICurrentDbContext>().Context.Set<CareTeamMember>()
                .Where(m => m.StaffUserId == staffId)
                .Select(m => m.PatientId);
            return threads.Where(t => patients.Contains(t.PatientId));
        }
        return threads.Where(_ => false);
    }
}

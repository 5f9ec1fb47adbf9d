import { sql, type Kysely } from 'kysely';

/**
 * Sequences change by versions. A sequence's name, flags and steps are a version; editing makes the next one and
 * leaves the earlier ones as they were. An enrollment follows the version it started on (`sequence_version`)
 * until it is moved explicitly; its follow-ups are that version's steps. Emails already scheduled keep the step
 * rows they point at, so their content never changes under them.
 *
 * Every existing sequence becomes version 1 of itself. A sequence inserted without the API (tests, seeds) gets its
 * version 1 from a trigger, so `steps.version` and `sequence_contacts.sequence_version` default to 1.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table sequence_versions (
      sequence_id uuid not null references sequences (id) on delete cascade,
      version integer not null check (version >= 1),
      name text not null,
      open_tracking_enabled boolean not null,
      click_tracking_enabled boolean not null,
      workspace_id uuid not null default current_workspace_id(),
      created_at timestamptz not null default now(),
      primary key (sequence_id, version)
    );
    insert into sequence_versions
      (sequence_id, version, name, open_tracking_enabled, click_tracking_enabled, workspace_id, created_at)
    select id, 1, name, open_tracking_enabled, click_tracking_enabled, workspace_id, created_at from sequences;

    alter table sequences add column current_version integer not null default 1 check (current_version >= 1);

    alter table steps add column version integer not null default 1;
    alter table steps drop constraint steps_sequence_id_step_order_key;
    alter table steps add constraint steps_sequence_version_order_key unique (sequence_id, version, step_order);
    alter table steps add constraint steps_version_fkey foreign key (sequence_id, version)
      references sequence_versions (sequence_id, version) on delete cascade;

    alter table sequence_contacts add column sequence_version integer not null default 1;
    alter table sequence_contacts add constraint sequence_contacts_version_fkey foreign key (sequence_id, sequence_version)
      references sequence_versions (sequence_id, version);

    create function create_first_sequence_version() returns trigger language plpgsql as $$
    begin
      insert into sequence_versions (sequence_id, version, name, open_tracking_enabled, click_tracking_enabled, workspace_id)
      values (new.id, 1, new.name, new.open_tracking_enabled, new.click_tracking_enabled, new.workspace_id);
      return null;
    end $$;
    alter function create_first_sequence_version() security definer set search_path from current;
    create trigger sequences_first_version after insert on sequences
      for each row execute function create_first_sequence_version();

    alter table sequence_versions enable row level security;
    create policy pipeline_all on sequence_versions
      to outflow_producer, outflow_sender, outflow_scheduler, outflow_retry using (true) with check (true);
    create policy api_workspace on sequence_versions to outflow_api
      using (workspace_id = (select current_workspace_id()))
      with check (workspace_id = (select current_workspace_id())
        and exists (select 1 from sequences p where p.id = sequence_id));
    grant select, insert on sequence_versions to outflow_api;
    grant delete on sequences to outflow_api;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    revoke delete on sequences from outflow_api;
    drop trigger sequences_first_version on sequences;
    drop function create_first_sequence_version();
    alter table sequence_contacts drop constraint sequence_contacts_version_fkey;
    alter table sequence_contacts drop column sequence_version;
    alter table steps drop constraint steps_version_fkey;
    alter table steps drop constraint steps_sequence_version_order_key;
    delete from steps where version > 1;
    alter table steps drop column version;
    alter table steps add constraint steps_sequence_id_step_order_key unique (sequence_id, step_order);
    alter table sequences drop column current_version;
    drop table sequence_versions;
  `.execute(db);
}

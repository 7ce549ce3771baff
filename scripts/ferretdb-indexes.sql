-- Indexes FerretDB 1.24's own queries can use, on the PostgreSQL cluster that
-- `npm run services:up` runs for it (docs/adr/0009). Idempotent: run on every start.
--
-- FerretDB turns every top-level equality filter into `_jsonb->$1 @> $2` and
-- makes each MongoDB index a btree over `(_jsonb->'field')`. A btree cannot
-- answer `@>`, so every such query scanned the whole table. A GIN index over the
-- same expression can, once the key is a constant in the plan: hence custom plans
-- for FerretDB's prepared statements. Indexes change which rows PostgreSQL reads,
-- never which rows a query returns.

SET client_min_messages = warning;

ALTER DATABASE ferretdb SET plan_cache_mode = force_custom_plan;

-- For a btree index FerretDB made, a GIN twin on its leading field when that is a
-- top-level field (the only kind FerretDB pushes down). Returns 1 if one was made.
CREATE OR REPLACE FUNCTION public.order_service_gin_twin(index_oid oid) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  target record;
  field_expr text;
  twin text;
BEGIN
  SELECT n.nspname AS schema_name, t.relname AS table_name, am.amname AS method
    INTO target
    FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_am am ON am.oid = ic.relam
    JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
   WHERE i.indexrelid = index_oid;
  IF NOT FOUND OR target.method <> 'btree' THEN
    RETURN 0;
  END IF;
  field_expr := pg_get_indexdef(index_oid, 1, false);
  IF field_expr !~ '^\(*_jsonb -> ''[^'']+''::text\)*$' THEN
    RETURN 0; -- a nested field or not a FerretDB document column
  END IF;
  twin := left(target.table_name, 40) || '_' || left(md5(field_expr), 8) || '_eq';
  IF EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = target.schema_name AND c.relname = twin) THEN
    RETURN 0;
  END IF;
  EXECUTE format('CREATE INDEX %I ON %I.%I USING gin ((%s) jsonb_path_ops) WITH (fastupdate = off)',
                 twin, target.schema_name, target.table_name, field_expr);
  RETURN 1;
END $$;

CREATE OR REPLACE FUNCTION public.order_service_gin_twins_on_create() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  made record;
BEGIN
  FOR made IN SELECT objid FROM pg_event_trigger_ddl_commands()
               WHERE command_tag = 'CREATE INDEX' AND object_type = 'index' LOOP
    PERFORM public.order_service_gin_twin(made.objid);
  END LOOP;
END $$;

DROP EVENT TRIGGER IF EXISTS order_service_gin_twins;
CREATE EVENT TRIGGER order_service_gin_twins ON ddl_command_end
  WHEN TAG IN ('CREATE INDEX')
  EXECUTE FUNCTION public.order_service_gin_twins_on_create();

-- Indexes made before the trigger existed.
SELECT count(*) FILTER (WHERE public.order_service_gin_twin(i.indexrelid) = 1) AS twins_made
  FROM pg_index i
  JOIN pg_class t ON t.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'public');

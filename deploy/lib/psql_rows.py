"""PostgreSQL through psql for the drill's and the suite benchmark's probes (deploy/lib)."""
import os
import subprocess


def psql_rows(text, psql_variable, timeout):
    """The rows of one statement as lists of text fields; the psql binary is named by the
    environment variable psql_variable (else psql on the PATH), the connection by PG*."""
    out = subprocess.run([os.environ.get(psql_variable, "psql"), "-X", "-q", "-tA", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", text],
                         capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"psql: {out.stderr.strip()[:300]}")
    return [line.split("\t") for line in out.stdout.splitlines() if line]

from tests.demo.cli import main

raise SystemExit(main())

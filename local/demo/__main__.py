from local.demo.cli import main

raise SystemExit(main())
